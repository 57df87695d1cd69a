package rules

import (
	"fmt"
	"io"
	"os"
)

// Size limits of the files korelay reads besides its configuration.
const (
	// MaxRuleFileSize bounds one rule file.
	MaxRuleFileSize = 4 << 20
	// MaxDatasetSize bounds one dataset file.
	MaxDatasetSize = 64 << 20
)

// ReadFile reads the file at path, refusing one larger than limit bytes
// without reading it all. Errors are *os.PathError values, so
// errors.Unwrap gives the cause without the path.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &os.PathError{Op: "read", Path: path, Err: err}
	}
	if int64(len(data)) > limit {
		return nil, &os.PathError{Op: "read", Path: path, Err: fmt.Errorf("file is larger than %d bytes", limit)}
	}
	return data, nil
}

package rules

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFileLimit(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		path    string
		limit   int64
		wantErr string
	}{
		{"under the limit", file, 6, ""},
		{"at the limit", file, 5, ""},
		{"over the limit", file, 4, "larger than 4 bytes"},
		{"missing", filepath.Join(dir, "nope"), 10, "no such file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data, err := ReadFile(tt.path, tt.limit)
			if tt.wantErr == "" {
				if err != nil || string(data) != "12345" {
					t.Fatalf("ReadFile = %q, %v", data, err)
				}
				return
			}
			var pe *fs.PathError
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &pe) {
				t.Fatalf("ReadFile error %v, want a *fs.PathError containing %q", err, tt.wantErr)
			}
		})
	}
}

// A rule file over MaxRuleFileSize is refused with its name, not read into
// memory whole.
func TestLoadRefusesHugeRuleFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "huge.yaml")
	big := "# " + strings.Repeat("x", MaxRuleFileSize) + "\n"
	if err := os.WriteFile(file, []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load([]string{file}, Env{})
	if err == nil || !strings.Contains(err.Error(), "huge.yaml:1:1: read rule file: file is larger than") {
		t.Fatalf("Load of a %d-byte rule file: %v", len(big), err)
	}
}

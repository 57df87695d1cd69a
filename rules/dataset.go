package rules

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// loadDatasets reads every dataset of env; it returns data.NAME values and
// the files read, sorted by dataset name. shown names files in messages.
func loadDatasets(env Env, shown func(string) string, errs *errorList) (map[string]any, []string) {
	data := make(map[string]any, len(env.Datasets))
	var files []string
	for _, name := range slices.Sorted(maps.Keys(env.Datasets)) {
		path := env.Datasets[name]
		files = append(files, path)
		src, err := ReadFile(path, MaxDatasetSize)
		if err != nil {
			datasetReadError(name, shown(path), env.DatasetPos[name], err, errs)
			continue
		}
		v, err := decodeDataset(path, src)
		if err != nil {
			p := pos{file: shown(path), line: 1, col: 1}
			var pe *positionError
			if errors.As(err, &pe) {
				p.line, p.col = pe.line, pe.col
			}
			errs.addErr(p, err, "dataset %q: %v", name, err)
			continue
		}
		data[name] = v
	}
	return data, files
}

// datasetReadError reports a dataset file that cannot be read at the
// config key naming it (at, "file:line:col"), or without one at the file.
func datasetReadError(name, file, at string, err error, errs *errorList) {
	var pe *fs.PathError
	if p, ok := parsePos(at); ok && errors.As(err, &pe) {
		errs.addErr(p, err, "datasets.%s: %s %s: %v", name, pe.Op, file, pe.Err)
		return
	}
	errs.addErr(pos{file: file, line: 1, col: 1}, err, "dataset %q: read: %v", name, errors.Unwrap(err))
}

// parsePos reads "file:line:col"; the file may itself contain colons.
func parsePos(s string) (pos, bool) {
	rest, colStr, ok1 := cutLast(s, ":")
	file, lineStr, ok2 := cutLast(rest, ":")
	line, err1 := strconv.Atoi(lineStr)
	col, err2 := strconv.Atoi(colStr)
	if !ok1 || !ok2 || err1 != nil || err2 != nil || file == "" || line < 1 || col < 1 {
		return pos{}, false
	}
	return pos{file: file, line: line, col: col}, true
}

// cutLast slices s around the last sep.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// positionError is a dataset error with a position in its file.
type positionError struct {
	line, col int
	err       error
}

func (e *positionError) Error() string { return e.err.Error() }
func (e *positionError) Unwrap() error { return e.err }

// decodeDataset decodes one YAML, JSON or CSV file by its extension.
func decodeDataset(path string, src []byte) (any, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".csv":
		return decodeCSV(src)
	case ".json":
		return decodeDatasetJSON(src)
	case ".yaml", ".yml":
		return decodeDatasetYAML(src)
	default:
		return nil, fmt.Errorf("unsupported file type %q (use .yaml, .yml, .json or .csv)", ext)
	}
}

// decodeCSV returns one map per row, keyed by the header row; values are
// strings.
func decodeCSV(src []byte) (any, error) {
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(src), "\uFEFF")))
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("empty CSV file: expected a header row")
	}
	if err != nil {
		return nil, csvError(err)
	}
	for i, h := range header {
		switch {
		case strings.TrimSpace(h) == "":
			return nil, &positionError{line: 1, col: 1, err: fmt.Errorf("CSV header: column %d has no name", i+1)}
		case slices.Index(header, h) != i:
			return nil, &positionError{line: 1, col: 1, err: fmt.Errorf("CSV header: duplicate column %q", h)}
		}
	}
	rows := []any{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return nil, csvError(err)
		}
		row := make(map[string]any, len(header))
		for i, h := range header {
			row[h] = rec[i]
		}
		rows = append(rows, row)
	}
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &positionError{line: pe.Line, col: max(pe.Column, 1), err: fmt.Errorf("CSV: %w", pe.Err)}
	}
	return fmt.Errorf("CSV: %w", err)
}

// decodeDatasetJSON decodes JSON as event payloads are decoded.
func decodeDatasetJSON(src []byte) (any, error) {
	v, err := DecodeJSON(src)
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := lineCol(src, int(se.Offset))
			return nil, &positionError{line: line, col: col, err: err}
		}
		return nil, err
	}
	return v, nil
}

// lineCol converts a byte offset to a 1-based line and column.
func lineCol(src []byte, off int) (int, int) {
	off = min(max(off, 0), len(src))
	before := string(src[:off])
	line := strings.Count(before, "\n") + 1
	return line, off - strings.LastIndexByte(before, '\n')
}

// decodeDatasetYAML decodes YAML into the values JSON would give: big
// integers keep their digits as a string and timestamps stay strings.
func decodeDatasetYAML(src []byte) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		line, col, msg := yamlSyntax(src, err)
		return nil, &positionError{line: line, col: col, err: errors.New(msg)}
	}
	if len(doc.Content) == 0 {
		return nil, errors.New("empty YAML file")
	}
	return yamlValue(doc.Content[0], 0)
}

// maxYAMLDepth bounds alias expansion.
const maxYAMLDepth = 100

// yamlValue converts a node to plain values.
func yamlValue(n *yaml.Node, depth int) (any, error) {
	if depth > maxYAMLDepth {
		return nil, &positionError{line: n.Line, col: n.Column, err: errors.New("YAML nested too deeply")}
	}
	switch n.Kind {
	case yaml.AliasNode:
		return yamlValue(n.Alias, depth+1)
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, e := range n.Content {
			v, err := yamlValue(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := yamlValue(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			out[resolve(n.Content[i]).Value] = v
		}
		return out, nil
	}
	return yamlScalar(n)
}

// yamlScalar converts a scalar by its resolved tag.
func yamlScalar(n *yaml.Node) (any, error) {
	var err error
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err = n.Decode(&b); err == nil {
			return b, nil
		}
	case "!!int":
		var i int
		if n.Decode(&i) == nil {
			return i, nil
		}
		return n.Value, nil // beyond int: keep the digits
	case "!!float":
		var f float64
		if err = n.Decode(&f); err == nil {
			return f, nil
		}
	default:
		return n.Value, nil
	}
	return nil, &positionError{line: n.Line, col: n.Column, err: err}
}

package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// DecodeJSON decodes a JSON document into the values rules see: objects as
// map[string]any, arrays as []any, integers that fit as int, other numbers
// as float64, and integers too large for int as their exact digits in a
// string, so a long id is never rounded and always renders as written.
func DecodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("decode JSON: unexpected data after the top-level value")
	}
	return normalizeNumbers(v), nil
}

// normalizeNumbers replaces json.Number values in place.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
		return x
	case json.Number:
		return number(string(x))
	}
	return v
}

// number converts a JSON number literal to int, float64 or, for an integer
// beyond int's range, its exact digits.
func number(s string) any {
	if i, err := strconv.Atoi(s); err == nil {
		return i
	}
	if isIntegerLiteral(s) {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return f
}

func isIntegerLiteral(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c == '-' && i == 0 {
			continue
		}
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

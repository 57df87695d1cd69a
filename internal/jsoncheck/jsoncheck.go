// Package jsoncheck holds the checks that make a document read with
// github.com/valyala/fastjson read as encoding/json reads it: fastjson's
// validator lets some raw control characters in strings through, and its
// parser keeps a lone surrogate escape as text where encoding/json gives
// U+FFFD. Code with a fastjson fast path runs these first and leaves what
// they flag to encoding/json.
package jsoncheck

import (
	"bytes"
	"math"
	"strings"
)

// ControlInString reports whether a string in data holds a raw control
// character, which JSON forbids.
func ControlInString(data []byte) bool {
	control, _ := Scan(data, math.MaxInt)
	return control
}

// SurrogateEscape reports whether data holds a \uD800-\uDFFF escape. It
// errs on the safe side: an escaped backslash followed by such text counts
// too.
func SurrogateEscape(data []byte) bool {
	for i := bytes.Index(data, []byte(`\u`)); i >= 0 && i+3 < len(data); {
		if c := data[i+2]; (c == 'd' || c == 'D') && strings.IndexByte("89abcdefABCDEF", data[i+3]) >= 0 {
			return true
		}
		next := bytes.Index(data[i+2:], []byte(`\u`))
		if next < 0 {
			return false
		}
		i += 2 + next
	}
	return false
}

// Scan is ControlInString, and whether arrays and objects in data nest
// more than depth deep (brackets in strings do not count), in one pass
// over data. fastjson's parser refuses a document nesting values more
// than fastjson.MaxDepth deep, which its validator accepts.
func Scan(data []byte, depth int) (control, deeper bool) {
	in, esc, d := false, false, 0
	for _, c := range data {
		switch {
		case esc:
			esc = false
		case in && c == '\\':
			esc = true
		case c == '"':
			in = !in
		case in:
			if c < 0x20 {
				control = true
			}
		case c == '[' || c == '{':
			if d++; d > depth {
				deeper = true
			}
		case c == ']' || c == '}':
			d--
		}
	}
	return control, deeper
}

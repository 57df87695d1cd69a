// Package jsoncheck holds the checks that make a document read with
// github.com/valyala/fastjson read as encoding/json reads it: fastjson's
// validator lets some raw control characters in strings through, and its
// parser keeps a lone surrogate escape as text where encoding/json gives
// U+FFFD. Code with a fastjson fast path runs these first and leaves what
// they flag to encoding/json.
package jsoncheck

import "github.com/valyala/fastjson"

// Check reports whether data is one JSON document, by fastjson's
// validator and Scan's control characters (which that validator lets
// through), and what Scan found, depth as Scan's. It allocates nothing.
func Check(data []byte, depth int) (Found, bool) {
	if fastjson.ValidateBytes(data) != nil {
		return Found{}, false
	}
	found := Scan(data, depth)
	return found, !found.Control
}

// Found is what Scan found in a document.
type Found struct {
	// Control: a string holds a raw control character, which JSON
	// forbids.
	Control bool
	// Deep: arrays and objects nest more than the depth asked about
	// (brackets in strings do not count). fastjson's parser refuses a
	// document nesting values more than fastjson.MaxDepth deep, which its
	// validator accepts.
	Deep bool
	// Surrogate: a string holds a \uD800-\uDFFF escape, which the parser
	// keeps as text where encoding/json gives U+FFFD (paired or not: the
	// fast path leaves both to encoding/json).
	Surrogate bool
}

// Scan looks for what makes fastjson read a document differently from
// encoding/json, in one pass over data, which must be valid JSON but for
// control characters (fastjson's validator lets some through).
func Scan(data []byte, depth int) Found {
	var f Found
	in, esc, d := false, false, 0
	for i, c := range data {
		switch {
		case esc:
			esc = false
			if c == 'u' && i+2 < len(data) && (data[i+1] == 'd' || data[i+1] == 'D') && isSurrogateNibble(data[i+2]) {
				f.Surrogate = true
			}
		case in && c == '\\':
			esc = true
		case c == '"':
			in = !in
		case in:
			if c < 0x20 {
				f.Control = true
			}
		case c == '[' || c == '{':
			if d++; d > depth {
				f.Deep = true
			}
		case c == ']' || c == '}':
			d--
		}
	}
	return f
}

// isSurrogateNibble reports whether c is the second hex digit of a
// surrogate code unit, D800-DFFF.
func isSurrogateNibble(c byte) bool {
	return c >= '8' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

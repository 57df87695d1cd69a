package jsoncheck

import (
	"strings"
	"testing"
)

func TestChecks(t *testing.T) {
	tests := []struct {
		doc                string
		control, surrogate bool
	}{
		{`{"a":"b","c":[1,2]}`, false, false},
		{"{\"a\":\"\x10\"}", true, false},
		{"{\"a\":\"x\\\"\x01\"}", true, false}, // after an escaped quote: still in the string
		{"{\"a\":\"x\"}\n", false, false},      // a newline outside strings is fine
		{`{"a":"\ud83d\ude00"}`, false, true},  // any surrogate escape, paired or not
		{`{"a":"\u00e9\\ud800"}`, false, true}, // conservative: an escaped backslash, then such text
		{`{"a":"\uD7FF"}`, false, false},
		{`{"a":"\uDFFF"}`, false, true},
	}
	for _, tt := range tests {
		if got := ControlInString([]byte(tt.doc)); got != tt.control {
			t.Errorf("ControlInString(%q) = %v, want %v", tt.doc, got, tt.control)
		}
		if got := SurrogateEscape([]byte(tt.doc)); got != tt.surrogate {
			t.Errorf("SurrogateEscape(%q) = %v, want %v", tt.doc, got, tt.surrogate)
		}
	}
}

func TestScanNesting(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + "1" + strings.Repeat("]", n) }
	for _, tc := range []struct {
		data  string
		depth int
		want  bool
	}{
		{`{"a": [1, {"b": 2}]}`, 3, false},
		{`{"a": [1, {"b": 2}]}`, 2, true},
		{`{"a": "[[[[[[[[[["}`, 2, false},
		{`{"a": "\"[[[[["}`, 1, false},
		{`[] [] []`, 1, false},
		{deep(300), 299, true},
		{deep(299), 299, false},
	} {
		if _, got := Scan([]byte(tc.data), tc.depth); got != tc.want {
			t.Errorf("Scan(%.40q, %d) nests deeper: %v, want %v", tc.data, tc.depth, got, tc.want)
		}
	}
}

// Scan finds the control characters ControlInString finds.
func TestScanAgrees(t *testing.T) {
	for _, doc := range []string{`{"a": "x` + "\t" + `y", "b": [[1]]}`, `[[["\"[["]]]`, `{"a": "\\"}`, "", `"` + "\x01" + `"`, `{"a": "b"}`} {
		if control, _ := Scan([]byte(doc), 2); control != ControlInString([]byte(doc)) {
			t.Errorf("Scan(%q) finds a control character: %v", doc, control)
		}
	}
}

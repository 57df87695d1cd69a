package jsoncheck

import (
	"strings"
	"testing"
)

func TestScanFindings(t *testing.T) {
	tests := []struct {
		doc                string
		control, surrogate bool
	}{
		{`{"a":"b","c":[1,2]}`, false, false},
		{"{\"a\":\"\x10\"}", true, false},
		{"{\"a\":\"x\\\"\x01\"}", true, false},  // after an escaped quote: still in the string
		{"{\"a\":\"x\"}\n", false, false},       // a newline outside strings is fine
		{`{"a":"\ud83d\ude00"}`, false, true},   // any surrogate escape, paired or not
		{`{"a":"\u00e9\\ud800"}`, false, false}, // an escaped backslash, then plain text
		{`{"a":"\\\ud800"}`, false, true},       // an escaped backslash, then the escape
		{`{"a":"\uD7FF"}`, false, false},
		{`{"a":"\uDFFF"}`, false, true},
		{`{"a":"\uDC00"}`, false, true},
		{`{"a":"\uE000"}`, false, false},
		{`{"\uD800":1}`, false, true}, // keys are strings too
		{`{"a":"\u`, false, false},    // cut short: no digits to look at
		{`"\ud8"`, false, true},       // the first two digits decide
	}
	for _, tt := range tests {
		got := Scan([]byte(tt.doc), 10)
		if got.Control != tt.control || got.Surrogate != tt.surrogate {
			t.Errorf("Scan(%q) = %+v, want control %v, surrogate %v", tt.doc, got, tt.control, tt.surrogate)
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
		if got := Scan([]byte(tc.data), tc.depth).Deep; got != tc.want {
			t.Errorf("Scan(%.40q, %d) nests deeper: %v, want %v", tc.data, tc.depth, got, tc.want)
		}
	}
}

// Check refuses what is not one JSON document, raw control characters in
// strings included, and passes on what Scan found.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		doc       string
		ok        bool
		surrogate bool
	}{
		{`{"a": [1, 2]}`, true, false},
		{`{"a": "\ud800"}`, true, true},
		{"{\"a\": \"\t\"}", false, false}, // a raw tab: fastjson's validator lets it through
		{`{"a": }`, false, false},
		{`{} {}`, false, false},
		{``, false, false},
	} {
		found, ok := Check([]byte(tc.doc), 10)
		if ok != tc.ok || found.Surrogate != tc.surrogate {
			t.Errorf("Check(%q) = %+v, %v; want ok %v, surrogate %v", tc.doc, found, ok, tc.ok, tc.surrogate)
		}
	}
}

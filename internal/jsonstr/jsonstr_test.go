package jsonstr

import (
	"encoding/json"
	"strings"
	"testing"
)

var cases = []string{
	"", "plain", `quote " backslash \ slash /`, "tab \t nl \n cr \r bs \b ff \f nul \x00 unit \x1f del \x7f",
	"<b>&amp;</b>", "line\u2028para\u2029", "emoji 🎉 ümlaut", "bad \xff\xfe cut \xe2\x82", "\xc3",
}

func TestAppendHTMLSafeMatchesEncodingJSON(t *testing.T) {
	for _, s := range cases {
		want, _ := json.Marshal(s)
		if got := AppendHTMLSafe(nil, s); string(got) != string(want) {
			t.Errorf("AppendHTMLSafe(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestAppendRoundTrips(t *testing.T) {
	for _, s := range cases {
		got := Append([]byte("x"), s)[1:]
		var back, viaJSON string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("Append(%q) = %s: not JSON: %v", s, got, err)
		}
		want, _ := json.Marshal(s)
		_ = json.Unmarshal(want, &viaJSON)
		if back != viaJSON {
			t.Errorf("Append(%q) decodes to %q, encoding/json's to %q", s, back, viaJSON)
		}
		if strings.ContainsAny(string(got), "<>&") != strings.ContainsAny(s, "<>&") {
			t.Errorf("Append(%q) = %s: < > & must stay as they are", s, got)
		}
	}
}

// FuzzAppend: AppendHTMLSafe writes what encoding/json writes, and
// Append's output decodes back to the string (invalid UTF-8 as U+FFFD).
func FuzzAppend(f *testing.F) {
	for _, s := range cases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendHTMLSafe(nil, s); string(got) != string(want) {
			t.Errorf("AppendHTMLSafe(%q) = %s, want %s", s, got, want)
		}
		var back string
		if err := json.Unmarshal(Append(nil, s), &back); err != nil {
			t.Fatalf("Append(%q): not JSON: %v", s, err)
		}
		var viaJSON string
		_ = json.Unmarshal(want, &viaJSON)
		if back != viaJSON {
			t.Errorf("Append(%q) decodes to %q, encoding/json's to %q", s, back, viaJSON)
		}
	})
}

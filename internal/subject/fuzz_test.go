package subject

import (
	"strings"
	"testing"
)

// coversModel is delivery's coverage, token by token: only the whole
// tokens "*" and ">" are wildcards.
func coversModel(a, b string) bool {
	at, bt := strings.Split(a, "."), strings.Split(b, ".")
	for i, tok := range at {
		if tok == ">" {
			return len(bt) > i
		}
		if i >= len(bt) || bt[i] == ">" {
			return false
		}
		if tok != "*" && (tok != bt[i] || bt[i] == "*") {
			return false
		}
	}
	return len(at) == len(bt)
}

// FuzzCovers checks Covers against coversModel and that Join covers both
// of its patterns.
func FuzzCovers(f *testing.F) {
	for _, s := range [][2]string{{"a.>", "a.b"}, {"*x", "a"}, {"a.*", "eu*"}, {"*.*x", "a.*x"}, {">", "*"}, {"a.*.c", "a.b.*"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if !Valid(a) || !Valid(b) {
			return
		}
		if got, want := Covers(a, b), coversModel(a, b); got != want {
			t.Errorf("Covers(%q, %q) = %v, want %v", a, b, got, want)
		}
		if j := Join(a, b); !Valid(j) || !Covers(j, a) || !Covers(j, b) {
			t.Errorf("Join(%q, %q) = %q does not cover both", a, b, j)
		}
	})
}

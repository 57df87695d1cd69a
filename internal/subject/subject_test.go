package subject

import (
	"errors"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		p    string
		want string // "" for valid
	}{
		{"orders", ""},
		{"orders.*.created", ""},
		{"orders.>", ""},
		{">", ""},
		{"*", ""},
		{"orders.eu*", ""}, // "eu*" is a literal token
		{"0*0000", ""},     // so is "0*0000"
		{"a.>b", ""},       // and ">b"
		{"a.*x.b", ""},     // and "*x"
		{"", `subject "": empty subject`},
		{"a..b", `subject "a..b": empty token (two dots in a row, or a dot at the start or end)`},
		{".a", `subject ".a": empty token (two dots in a row, or a dot at the start or end)`},
		{"a.", `subject "a.": empty token (two dots in a row, or a dot at the start or end)`},
		{"a.>.b", `subject "a.>.b": ">" must be the last token`},
		{"a b", `subject "a b": contains whitespace`},
		{"a.\f", `subject "a.\f": contains whitespace`},
	}
	for _, tt := range tests {
		err := Check(tt.p)
		got := ""
		if err != nil {
			got = err.Error()
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("Check(%q) does not wrap ErrInvalid", tt.p)
			}
		}
		if got != tt.want {
			t.Errorf("Check(%q) = %q, want %q", tt.p, got, tt.want)
		}
		if (err == nil) != Valid(tt.p) {
			t.Errorf("Check(%q) and Valid disagree", tt.p)
		}
	}
}

func TestLiteral(t *testing.T) {
	for p, want := range map[string]bool{
		"a.b": true, "eu*": true, "a.>b": true, "*x": true,
		"a.*": false, "a.>": false, ">": false, "": false, "a..b": false, "a b": false,
	} {
		if got := Literal(p); got != want {
			t.Errorf("Literal(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"a.>", "a.b.c", true},
		{"a.>", "a", false},
		{"a.>", "a.>", true},
		{"a.>", "a.*", true},
		{"a.*", "a.b", true},
		{"a.*", "a.*", true},
		{"a.*", "a.>", false},
		{"a.*", "a.b.c", false},
		{"a.b", "a.*", false},
		{">", "x.y", true},
		{">", "*", true},
		{"*", ">", false},
		{"a.*.c", "a.b.c", true},
		{"*", "eu*", true},
		{"eu*", "eu", false},
		{"*x", "a", false}, // "*x" is literal for subscriptions
		{"*x", "*x", true},
		{"a.*x", "a.*", false},
		{"*.*x", "a.*x", true},
	}
	for _, tt := range tests {
		if got := Covers(tt.a, tt.b); got != tt.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	// The reason literalSafe exists: nats-server's subset test alone reads
	// "*x" as a wildcard.
	if !server.SubjectMatchesFilter("a", "*x") {
		t.Log("nats-server no longer reads *x as a wildcard in SubjectMatchesFilter; literalSafe may be dropped")
	}
}

func TestMatches(t *testing.T) {
	for _, tt := range []struct {
		pattern, subject string
		want             bool
	}{
		{">", "0*0000", true},
		{"*.eu.*", "0*0000", false},
		{"orders.*", "orders.eu*", true},
		{"orders.eu*", "orders.eu*", true},
		{"orders.eu*", "orders.eu", false},
		{"orders.*", "orders.*", false}, // not a literal subject
		{"a.>", "a..b", false},
	} {
		if got := Matches(tt.pattern, tt.subject); got != tt.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", tt.pattern, tt.subject, got, tt.want)
		}
	}
}

func TestJoin(t *testing.T) {
	for _, tt := range []struct{ a, b, want string }{
		{"a.*.c", "a.b.*", "a.*.*"},
		{"a.>", "*.b", "*.>"},
		{"a.b", "a.b", "a.b"},
		{"*x.*", "a.*", "*.*"},
		{"a", "a.b", ">"},
		{"a.b", "x.y.>", "*.>"},
	} {
		got := Join(tt.a, tt.b)
		if got != tt.want {
			t.Errorf("Join(%q, %q) = %q, want %q", tt.a, tt.b, got, tt.want)
		}
		if !Covers(got, tt.a) || !Covers(got, tt.b) {
			t.Errorf("Join(%q, %q) = %q does not cover both", tt.a, tt.b, got)
		}
	}
}

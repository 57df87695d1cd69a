package yamlerr

import (
	"errors"
	"fmt"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestMessage(t *testing.T) {
	var n struct{ A int }
	err := yaml.Unmarshal([]byte("a: [1]\n"), &n)
	tests := []struct {
		err  error
		want string
	}{
		{err, "cannot unmarshal !!seq into int"},
		{&yaml.TypeError{Errors: []string{"line 1: x", "line 2: y"}}, "x; y"},
		{errors.New("two\nlines"), "two lines"},
	}
	for _, tt := range tests {
		if got := Message(tt.err); got != tt.want {
			t.Errorf("Message(%q) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestLocate(t *testing.T) {
	tests := []struct {
		name, src string
		want      string // line:col: message
	}{
		{"tab before a key", "rules:\n  - name: x\n\ton: y\n", "3:1: " + TabInIndentation},
		{"tab after spaces", "a:\n  b: 1\n  c:\n  \td: 2\n", "4:3: " + TabInIndentation},
		{"tab starts a nested key", "a:\n\tb: 1\n", "2:1: " + TabInIndentation},
		{"tab after blank lines", "a:\n  b: 1\n\n\n\tc: 2\n", "5:1: " + TabInIndentation},
		{"tab in a list", "a:\n  - 1\n\t- 2\n", "3:1: " + TabInIndentation},
		{"tab after a dash", "k:\n  - a\n  -\tb\n", "3:4: " + TabInIndentation},
		{"tab in a block scalar's indentation", "a: |\n  x\n\ty\n", "3:1: " + TabInIndentation},
		{"tab on the first line", "\ta: 1\n", "1:1: " + TabInIndentation},
		{"tab before a comment", "a:\n  b: 1\n\t# comment\n  c: 2\n", "3:1: " + TabInIndentation},
		{"blank line with a tab", "a:\n  b: 1\n  \t\n  c: 2\n", "3:3: " + TabInIndentation},
		{"parser error on a later line", "a: {b: 1\nc: 2\n", "2:1: did not find expected ',' or '}'"},
		{"bad token without a tab", "a: 1\nb: @x\n", "2:1: found character that cannot start any token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n yaml.Node
			err := yaml.Unmarshal([]byte(tt.src), &n)
			if err == nil {
				t.Fatal("no error")
			}
			line, col, msg := Locate([]byte(tt.src), err)
			if got := fmt.Sprintf("%d:%d: %s", line, col, msg); got != tt.want {
				t.Errorf("Locate = %q, want %q (yaml.v3: %v)", got, tt.want, err)
			}
		})
	}
}

package yamlerr

import (
	"errors"
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

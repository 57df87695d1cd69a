// Package yamlerr turns yaml.v3's decoding errors into the one-line
// messages korelay prints after a file:line:col position.
package yamlerr

import (
	"errors"
	"strings"

	"gopkg.in/yaml.v3"
)

// Message flattens err into one line without yaml.v3's "yaml: unmarshal
// errors:" decoration and "line N:" prefixes (the caller puts the position
// in front).
func Message(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msgs := make([]string, len(te.Errors))
		for i, m := range te.Errors {
			if _, rest, ok := strings.Cut(m, ": "); ok && strings.HasPrefix(m, "line ") {
				m = rest
			}
			msgs[i] = m
		}
		return strings.Join(msgs, "; ")
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

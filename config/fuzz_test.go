package config

import (
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary text to the configuration parser: it must never
// panic, and every error must start with the file name.
func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	f.Add([]byte("rules: [a]\nkore: {budget: {per_minute: 60}, client_secret: ${S:-x}}\n"))
	f.Add([]byte("rules: [a]\nwebhooks:\n  w:\n    auth: {type: hmac-sha256, secrets: [a, b], prefix: \"\"}\n"))
	f.Add([]byte("rules: [a]\nhttp: {max_body: 512KiB}\ngroups: {g: [a@x.com]}\n"))
	f.Add([]byte("&a [1]\n*a: 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("k.yaml", data, env(map[string]string{"S": "${S}"}))
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "k.yaml") {
					t.Fatalf("error line without the file name: %q", line)
				}
			}
			return
		}
		if cfg.Validate() != nil {
			t.Fatal("Parse returned a configuration that does not validate")
		}
	})
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// validate refuses everything run refuses, with the same one-line errors
// at the same positions, and reports every phase's errors at once.
func TestValidateRefusesWhatRunRefuses(t *testing.T) {
	const goodRule = "rules:\n  - name: a\n    on: {nats: a.x}\n    notify: {channel: slack, to: event.e, text: t}\n"
	tests := []struct {
		name   string
		config string
		rules  string
		want   []string
	}{
		{"listen address", "http:\n  listen: nope\n", goodRule,
			[]string{"korelay.yaml:3:11: http.listen"}},
		{"standard-webhooks secret", "webhooks:\n  shop:\n    auth: {type: standard-webhooks, secret: notwhsec}\n", goodRule,
			[]string{"korelay.yaml:4:", "webhooks.shop.auth.secret"}},
		{"webhook without auth", "webhooks:\n  shop: {}\n", goodRule,
			[]string{"korelay.yaml:3:3:", "webhooks.shop.auth"}},
		{"config and rule errors at once", "http:\n  listen: nope\n",
			"rules:\n  - name: a\n    on: {webhook: nowhere}\n    notify: {channel: slack, to: event.e, text: t}\n",
			[]string{"korelay.yaml:3:11: http.listen", "rules.yaml:3:", `unknown webhook "nowhere"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(name, text string) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write("rules.yaml", tt.rules)
			write("korelay.yaml", "rules: [rules.yaml]\n"+tt.config)
			t.Chdir(dir)
			for _, args := range [][]string{{"validate"}, {"run", "-dry-run"}} {
				code, _, stderr := korelay(t, args...)
				if code != 1 {
					t.Errorf("%v: exit %d, want 1; stderr:\n%s", args, code, stderr)
				}
				if args[0] == "run" && len(tt.want) > 1 {
					continue // run stops at the configuration's errors
				}
				for _, w := range tt.want {
					if !strings.Contains(stderr, w) {
						t.Errorf("%v: stderr lacks %q:\n%s", args, w, stderr)
					}
				}
			}
		})
	}
}

package service

import (
	"os"
	"slices"
	"testing"

	"github.com/korelay/korelay/config"
)

func TestNeedsRestartNamesChangedKeys(t *testing.T) {
	const base = "rules: [r.yaml]\nkore: {bot_id: st-1, client_secret: old}\nnats: {url: \"nats://a:4222\"}\ngroups: {team: [a@example.com]}\n"
	tests := []struct {
		name, next string
		want       []string
	}{
		{"nothing", base, nil},
		{"reloadable only", "rules: [r.yaml, s.yaml]\nkore: {bot_id: st-1, client_secret: old}\nnats: {url: \"nats://a:4222\"}\ngroups: {team: [b@example.com]}\n", nil},
		{"secret and url", "rules: [r.yaml]\nkore: {bot_id: st-1, client_secret: new}\nnats: {url: \"nats://b:4222\"}\ngroups: {team: [a@example.com]}\n",
			[]string{"kore.client_secret", "nats.url"}},
		{"http listen", base + "http: {listen: \"127.0.0.1:9090\"}\n",
			[]string{"http.listen"}},
	}
	parse := func(text string) *config.Config {
		cfg, err := config.Parse("korelay.yaml", []byte(text), os.LookupEnv)
		if err != nil {
			t.Fatalf("parse %q: %v", text, err)
		}
		return cfg
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := needsRestart(parse(base), parse(tt.next))
			if !slices.Equal(got, tt.want) {
				t.Errorf("needsRestart = %q, want %q", got, tt.want)
			}
		})
	}
}

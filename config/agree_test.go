package config_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/config"
	"github.com/korelay/korelay/triggers/webhook"
)

type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, *nats.Msg) (string, error) { return "e-1", nil }

// The configuration accepts exactly the webhooks the handler serves: what
// `korelay validate` passes, `korelay run` starts.
func TestConfigAndHandlerAgreeOnWebhooks(t *testing.T) {
	empty, sha := "", "sha256="
	const whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	tests := []webhook.Hook{
		{Name: "orders", Auth: webhook.Auth{Type: "standard-webhooks", Secrets: []string{whsec}}},
		{Name: "orders", Auth: webhook.Auth{Type: "standard-webhooks", Secrets: []string{"whsec_!!"}}},
		{Name: "orders", Auth: webhook.Auth{Type: "standard-webhooks", Secrets: []string{"plain"}}},
		{Name: "orders", Auth: webhook.Auth{Type: "standard-webhooks", Secrets: []string{whsec, ""}}},
		{Name: "gh", Auth: webhook.Auth{Type: "hmac-sha256", Secrets: []string{"k"}}},
		{Name: "gh", Auth: webhook.Auth{Type: "hmac-sha256", Secrets: []string{"k"}, Header: "x-sig", Prefix: &empty, Encoding: "base64"}},
		{Name: "gh", Auth: webhook.Auth{Type: "hmac-sha256", Secrets: []string{"k"}, Header: "X Sig"}},
		{Name: "gh", Auth: webhook.Auth{Type: "hmac-sha256", Secrets: []string{"k"}, Encoding: "b32"}},
		{Name: "gh", Auth: webhook.Auth{Type: "hmac-sha256"}},
		{Name: "b", Auth: webhook.Auth{Type: "bearer", Secrets: []string{"new", "old"}}},
		{Name: "b", Auth: webhook.Auth{Type: "bearer", Secrets: []string{"tok\n"}}},
		{Name: "b", Auth: webhook.Auth{Type: "bearer", Secrets: []string{"t"}, Prefix: &sha}},
		{Name: "b", Auth: webhook.Auth{Type: "bearer", Secrets: []string{"t"}, Encoding: "hex"}},
		{Name: "open", Auth: webhook.Auth{Type: "none"}},
		{Name: "open", Auth: webhook.Auth{Type: "none", Secrets: []string{"x"}}},
		{Name: "open", Auth: webhook.Auth{}},
		{Name: "open", Auth: webhook.Auth{Type: "basic", Secrets: []string{"x"}}},
		{Name: "Open", Auth: webhook.Auth{Type: "none"}},
		{Name: "-open", Auth: webhook.Auth{Type: "none"}},
		{Name: "open_2", Auth: webhook.Auth{Type: "none"}},
	}
	for _, hk := range tests {
		y := "rules: [a]\nwebhooks:\n  " + hk.Name + ":\n    auth: " + authYAML(hk.Auth) + "\n"
		_, cfgErr := config.Parse("k.yaml", []byte(y), func(string) (string, bool) { return "", false })
		_, hErr := webhook.New(webhook.Options{Hooks: []webhook.Hook{hk}, Publisher: nopPublisher{}})
		if (cfgErr == nil) != (hErr == nil) {
			t.Errorf("%s\nconfig: %v\nhandler: %v", y, cfgErr, hErr)
		}
	}
}

// authYAML writes a as a YAML flow mapping (JSON strings are YAML strings).
func authYAML(a webhook.Auth) string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	var parts []string
	if a.Type != "" {
		parts = append(parts, "type: "+q(a.Type))
	}
	if len(a.Secrets) > 0 {
		var s []string
		for _, v := range a.Secrets {
			s = append(s, q(v))
		}
		parts = append(parts, "secrets: ["+strings.Join(s, ", ")+"]")
	}
	if a.Header != "" {
		parts = append(parts, "header: "+q(a.Header))
	}
	if a.Prefix != nil {
		parts = append(parts, "prefix: "+q(*a.Prefix))
	}
	if a.Encoding != "" {
		parts = append(parts, "encoding: "+q(a.Encoding))
	}
	return fmt.Sprintf("{%s}", strings.Join(parts, ", "))
}

package webhook

import (
	"strings"
	"testing"
)

func TestNewErrors(t *testing.T) {
	empty := ""
	const secret = "TOPSECRET-value"
	tests := []struct {
		name string
		hook Hook
		want []string // substrings of the error
	}{
		{"empty type", Hook{Name: "orders", Auth: Auth{Secrets: []string{secret}}},
			[]string{`webhook "orders": auth.type: required`}},
		{"unknown type", Hook{Name: "orders", Auth: Auth{Type: "basic", Secrets: []string{secret}}},
			[]string{`webhook "orders": auth.type: unknown type "basic"`}},
		{"missing secret", Hook{Name: "orders", Auth: Auth{Type: AuthHMACSHA256}},
			[]string{`webhook "orders": auth.secret: required`}},
		{"empty secret in rotation", Hook{Name: "orders", Auth: Auth{Type: AuthBearer, Secrets: []string{secret, ""}}},
			[]string{`webhook "orders": auth.secrets[1]: empty`}},
		{"whsec without prefix", Hook{Name: "orders", Auth: Auth{Type: AuthStandardWebhooks, Secrets: []string{secret}}},
			[]string{`webhook "orders": auth.secret: must start with "whsec_"`}},
		{"whsec bad base64", Hook{Name: "orders", Auth: Auth{Type: AuthStandardWebhooks, Secrets: []string{testWhsec, "whsec_" + secret + "!"}}},
			[]string{`webhook "orders": auth.secrets[1]: not valid base64 after "whsec_"`}},
		{"whsec empty key", Hook{Name: "orders", Auth: Auth{Type: AuthStandardWebhooks, Secrets: []string{"whsec_"}}},
			[]string{`webhook "orders": auth.secret: not valid base64`}},
		{"bad encoding", Hook{Name: "gh", Auth: Auth{Type: AuthHMACSHA256, Secrets: []string{secret}, Encoding: "base32"}},
			[]string{`webhook "gh": auth.encoding: "base32" is not hex or base64`}},
		{"bad header", Hook{Name: "gh", Auth: Auth{Type: AuthHMACSHA256, Secrets: []string{secret}, Header: "X Sig"}},
			[]string{`webhook "gh": auth.header: not a valid header name`}},
		{"hmac fields on bearer", Hook{Name: "b", Auth: Auth{Type: AuthBearer, Secrets: []string{secret}, Header: "X", Prefix: &empty, Encoding: "hex"}},
			[]string{`auth.header: only used by type hmac-sha256`, `auth.prefix: only`, `auth.encoding: only`}},
		{"secret on none", Hook{Name: "open", Auth: Auth{Type: AuthNone, Secrets: []string{secret}}},
			[]string{`webhook "open": auth.secret: not used by type none`}},
		{"bad name", Hook{Name: "a.b", Auth: Auth{Type: AuthNone}},
			[]string{`webhook "a.b": name: must be letters, digits`}},
		{"upper-case name (the configuration refuses it too)", Hook{Name: "Orders", Auth: Auth{Type: AuthNone}},
			[]string{`webhook "Orders": name: must be letters, digits`}},
		{"name starting with a dash", Hook{Name: "-orders", Auth: Auth{Type: AuthNone}},
			[]string{`webhook "-orders": name:`}},
		{"bearer token with a trailing newline", Hook{Name: "b", Auth: Auth{Type: AuthBearer, Secrets: []string{secret + "\n"}}},
			[]string{`webhook "b": auth.secret: starts or ends with white space`}},
		{"empty name", Hook{Auth: Auth{Type: AuthNone}},
			[]string{`webhook "": name:`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Options{Hooks: []Hook{tt.hook}, Publisher: &fakePublisher{}})
			if err == nil {
				t.Fatal("New succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "TOPSECRET") || strings.Contains(err.Error(), "MfKQ9r8G") {
				t.Errorf("error contains the secret: %q", err)
			}
		})
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	_, err := New(Options{Hooks: []Hook{
		{Name: "a", Auth: Auth{Type: AuthNone}},
		{Name: "a", Auth: Auth{Type: AuthNone}},
		{Name: "b", Auth: Auth{Type: "x"}},
	}, MaxBody: -1})
	for _, w := range []string{`webhook "a": defined twice`, `webhook "b": auth.type`, `no publisher`, `must not be negative`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
}

func TestNewDefaults(t *testing.T) {
	h, err := New(Options{Hooks: testHooks(), Publisher: &fakePublisher{}})
	if err != nil {
		t.Fatal(err)
	}
	if h.maxBody != DefaultMaxBody || h.publishTimeout != DefaultPublishTimeout || h.replays.ttl != 2*DefaultTolerance {
		t.Errorf("defaults: max body %d, publish timeout %v, replay ttl %v", h.maxBody, h.publishTimeout, h.replays.ttl)
	}
	if h.now == nil || h.log == nil {
		t.Error("clock or logger not defaulted")
	}
}

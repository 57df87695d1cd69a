package hookspec

import (
	"fmt"
	"strings"
	"testing"
)

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"orders": true, "a": true, "0": true, "git-hub_2": true,
		"": false, "Orders": false, "-a": false, "_a": false, "a.b": false, "a b": false, "a>": false, "ä": false,
	} {
		if got := ValidName(name); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, got, want)
		}
	}
}

const whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func TestCheckAuth(t *testing.T) {
	empty := ""
	tests := []struct {
		name string
		auth Auth
		want []string // Path(len(secrets)) + ": " + Message, in order
	}{
		{"standard-webhooks", Auth{Type: AuthStandardWebhooks, Secrets: []string{whsec}}, nil},
		{"hmac with settings", Auth{Type: AuthHMACSHA256, Secrets: []string{"k"}, Header: "X-Sig", Prefix: &empty, Encoding: "base64"}, nil},
		{"bearer rotation", Auth{Type: AuthBearer, Secrets: []string{"new", "old"}}, nil},
		{"none", Auth{Type: AuthNone}, nil},
		{"no type", Auth{Secrets: []string{"k"}}, []string{"auth.type: required: standard-webhooks, hmac-sha256, bearer or none (none must be written explicitly)"}},
		{"unknown type", Auth{Type: "basic"}, []string{`auth.type: unknown type "basic" (want standard-webhooks, hmac-sha256, bearer or none)`}},
		{"no secret", Auth{Type: AuthHMACSHA256}, []string{"auth.secret: required: hmac-sha256 needs secret: or secrets:"}},
		{"empty secret of several", Auth{Type: AuthBearer, Secrets: []string{"t", ""}}, []string{"auth.secrets[1]: empty"}},
		{"bearer token with a newline", Auth{Type: AuthBearer, Secrets: []string{"t\n"}}, []string{"auth.secret: starts or ends with white space, which an Authorization header cannot carry"}},
		{"whsec without prefix", Auth{Type: AuthStandardWebhooks, Secrets: []string{"MfKQ9r8G"}}, []string{`auth.secret: must start with "whsec_"`}},
		{"whsec bad base64", Auth{Type: AuthStandardWebhooks, Secrets: []string{whsec, whsec + "!"}}, []string{`auth.secrets[1]: not valid base64 after "whsec_"`}},
		{"whsec empty key", Auth{Type: AuthStandardWebhooks, Secrets: []string{"whsec_"}}, []string{`auth.secret: not valid base64 after "whsec_"`}},
		{"secret on none", Auth{Type: AuthNone, Secrets: []string{"k"}}, []string{"auth.secret: not used by type none"}},
		{"bad header", Auth{Type: AuthHMACSHA256, Secrets: []string{"k"}, Header: "X Sig"}, []string{"auth.header: not a valid header name"}},
		{"bad encoding", Auth{Type: AuthHMACSHA256, Secrets: []string{"k"}, Encoding: "base32"}, []string{`auth.encoding: "base32" is not hex or base64`}},
		{"hmac settings on bearer", Auth{Type: AuthBearer, Secrets: []string{"t"}, Header: "X", Prefix: &empty, Encoding: "hex"},
			[]string{"auth.header: only used by type hmac-sha256", "auth.prefix: only used by type hmac-sha256", "auth.encoding: only used by type hmac-sha256"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range CheckAuth(tt.auth) {
				got = append(got, p.Path(len(tt.auth.Secrets))+": "+p.Message)
				for _, s := range tt.auth.Secrets {
					if len(s) > len(WhsecPrefix) && strings.Contains(p.Message, s) {
						t.Errorf("problem %q quotes a secret", p.Message)
					}
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("CheckAuth =\n  %q\nwant\n  %q", got, tt.want)
			}
		})
	}
}

func TestDecodeWhsec(t *testing.T) {
	key, err := DecodeWhsec(whsec)
	if err != nil || len(key) == 0 {
		t.Fatalf("DecodeWhsec = %x, %v", key, err)
	}
}

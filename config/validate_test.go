package config

import (
	"fmt"
	"strings"
	"testing"
)

// Every problem is one line, file:line:col: key: message, all at once; a
// key that was not written is reported at its nearest written parent key.
func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want []string // each a whole error line
	}{
		{"http.listen without a port", "http:\n  listen: nope\n", nil,
			[]string{`k.yaml:2:11: http.listen: want host:port such as 127.0.0.1:8080 or :8080, found "nope"`}},
		{"http.listen port out of range", "http:\n  listen: 127.0.0.1:65536\n", nil,
			[]string{`k.yaml:2:11: http.listen: port "65536": want a number from 0 (any free port) to 65535`}},
		{"http.listen port -1", "http:\n  listen: :-1\n", nil,
			[]string{`k.yaml:2:11: http.listen: port "-1": want a number from 0 (any free port) to 65535`}},
		{"http.listen named port", "http:\n  listen: localhost:http\n", nil,
			[]string{`k.yaml:2:11: http.listen: port "http": want a number from 0 (any free port) to 65535`}},
		{"nats.listen", "nats:\n  listen: 127.0.0.1\n", nil,
			[]string{`k.yaml:2:11: nats.listen: want host:port such as 127.0.0.1:8080 or :8080, found "127.0.0.1"`}},
		{"webhook without auth", "webhooks:\n  orders: {}\n  github:\n", nil, []string{
			"k.yaml:3:3: webhooks.github.auth: required: every webhook needs auth (type: none must be written explicitly)",
			"k.yaml:2:3: webhooks.orders.auth: required: every webhook needs auth (type: none must be written explicitly)"}},
		{"webhook name", "webhooks:\n  Orders:\n    auth: {type: none}\n", nil,
			[]string{"k.yaml:3:5: webhooks.Orders: a webhook name must be letters, digits, '-' or '_', lower case, starting with a letter or digit"}},
		{"whsec secret from the environment", "webhooks:\n  billing:\n    auth:\n      type: standard-webhooks\n      secret: ${BILLING}\n",
			map[string]string{"BILLING": "whsec_not base64!"},
			[]string{`k.yaml:5:15: webhooks.billing.auth.secret: not valid base64 after "whsec_" (from ${BILLING})`}},
		{"whsec without prefix", "webhooks:\n  billing:\n    auth: {type: standard-webhooks, secrets: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, hunter2]}\n", nil,
			[]string{`k.yaml:3:87: webhooks.billing.auth.secrets[1]: must start with "whsec_"`}},
		{"unset secret", "webhooks:\n  orders:\n    auth:\n      type: bearer\n      secret: ${TOKEN}\n", nil,
			[]string{"k.yaml:5:15: webhooks.orders.auth.secret: empty (from ${TOKEN})"}},
		{"secret and secrets", "webhooks:\n  orders:\n    auth: {type: bearer, secret: a, secrets: [b, \"\"]}\n", nil,
			[]string{"k.yaml:3:50: webhooks.orders.auth.secrets[1]: empty"}},
		{"secrets on none", "webhooks:\n  open:\n    auth:\n      type: none\n      secrets: [x]\n", nil,
			[]string{"k.yaml:5:16: webhooks.open.auth.secrets: not used by type none"}},
		{"bad hmac header", "webhooks:\n  gh:\n    auth: {type: hmac-sha256, secret: k, header: \"X Sig\"}\n", nil,
			[]string{"k.yaml:3:50: webhooks.gh.auth.header: not a valid header name"}},
		{"bearer token with a newline", "webhooks:\n  b:\n    auth: {type: bearer, secret: \"tok\\n\"}\n", nil,
			[]string{"k.yaml:3:34: webhooks.b.auth.secret: starts or ends with white space, which an Authorization header cannot carry"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("k.yaml", []byte("rules: [a]\n"+tt.yaml), env(tt.env))
			if err == nil {
				t.Fatal("no error")
			}
			got := strings.Split(err.Error(), "\n")
			// The test YAML starts on line 2, after "rules: [a]".
			want := make([]string, len(tt.want))
			for i, w := range tt.want {
				want[i] = shiftLine(w)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("errors:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			for _, v := range tt.env {
				if strings.Contains(err.Error(), v) {
					t.Errorf("error shows the secret's value: %v", err)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error shows a secret: %v", err)
			}
		})
	}
}

// shiftLine adds one to the line of "k.yaml:L:C: ..." (the test prepends a
// line to each case's YAML).
func shiftLine(s string) string {
	var line, col int
	var rest string
	if n, _ := fmt.Sscanf(s, "k.yaml:%d:%d:", &line, &col); n != 2 {
		return s
	}
	rest = s[len(fmt.Sprintf("k.yaml:%d:%d:", line, col)):]
	return fmt.Sprintf("k.yaml:%d:%d:%s", line+1, col, rest)
}

func TestValidListenAddresses(t *testing.T) {
	for _, y := range []string{
		"http: {listen: \":8080\"}\nnats: {listen: \"[::1]:0\"}\n",
		"http: {listen: \"0.0.0.0:0\"}\nnats: {listen: \"127.0.0.1:-1\"}\n",
		"nats: {url: \"nats://n:4222\", listen: nope}\n", // not used with a URL
	} {
		if _, err := Parse("k.yaml", []byte("rules: [a]\n"+y), env(nil)); err != nil {
			t.Errorf("%q: %v", y, err)
		}
	}
}

// A key that is not written is reported where its nearest written parent
// key is; the file alone when not even the top-level key is written.
func TestPosFallsBackToTheNearestWrittenKey(t *testing.T) {
	y := "rules: [a]\nkore:\n  budget: {per_minute: 5}\ngroups:\n  g: [a@x.com]\n"
	cfg, err := Parse("k.yaml", []byte(y), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"kore.budget.per_minute": "k.yaml:3:24",
		"kore.budget.per_hour":   "k.yaml:3:3",
		"kore.bot_id":            "k.yaml:2:1",
		"groups.g[3]":            "k.yaml:5:3",
		"groups.g[0]":            "k.yaml:5:7",
		"nats.url":               "k.yaml",
	} {
		if got := cfg.Pos(path).String(); got != want {
			t.Errorf("Pos(%q) = %s, want %s", path, got, want)
		}
	}
	if err := cfg.RequireKore(); err == nil || !strings.HasPrefix(err.Error(), "k.yaml:2:1: kore.bot_id is not set") {
		t.Errorf("RequireKore = %v, want it at the kore key", err)
	}
}

package ruletest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/korelay/korelay/rules"
)

const ruleFile = `rules:
  - name: shipped
    on: {webhook: orders}
    when: event.status == "shipped"
    notify:
      channel: slack
      to: event.email
      text: "Order {{ .event.id }} shipped."
  - name: nightly
    on: {cron: "0 2 * * *"}
    notify:
      channel: msteams
      to: '["ops@x.com"]'
      text: "Nightly run {{ .event.scheduled }}."
  - name: needs-name
    on: {nats: "users.>"}
    notify:
      channel: slack
      to: event.email
      text: "Hi {{ .event.name }}"
`

func loadSet(t *testing.T, clock *Clock) *rules.Set {
	t.Helper()
	file := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(file, []byte(ruleFile), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err := rules.Load([]string{file}, rules.Env{Webhooks: map[string]bool{"orders": true}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func TestRun(t *testing.T) {
	clock := &Clock{}
	set := loadSet(t, clock)
	cases, err := Parse("t.yaml", []byte(`tests:
  - name: match
    on: webhook:orders
    event: {id: 42, status: shipped, email: a@x.com}
    expect: [{rule: shipped, channel: slack, to: [a@x.com], text: "Order 42 shipped."}]
  - name: silent
    on: webhook:orders
    event: {id: 43, status: pending}
    expect: []
  - name: wrong text
    on: webhook:orders
    event: {id: 44, status: shipped, email: a@x.com}
    expect: [{rule: shipped, text: "Order 45 shipped."}]
  - name: unexpected notification
    on: webhook:orders
    event: {id: 46, status: shipped, email: a@x.com}
    expect: []
  - name: missing notification
    on: webhook:orders
    event: {id: 47, status: pending}
    expect: [{rule: shipped}]
  - name: cron payload built from now
    on: cron:nightly
    now: 2026-11-24T02:00:00Z
    expect: [{rule: nightly, to: [ops@x.com], text: "Nightly run 2026-11-24T02:00:00Z."}]
  - name: expected failure
    on: nats:users.created
    event: {email: a@x.com}
    expect: [{rule: needs-name, error: "name"}]
  - name: unexpected failure
    on: nats:users.created
    event: {email: a@x.com}
    expect: []
  - name: unknown cron rule
    on: cron:nope
    expect: []
`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"match":                       "",
		"silent":                      "",
		"wrong text":                  `text: expected "Order 45 shipped.", got "Order 44 shipped."`,
		"unexpected notification":     "unexpected notification",
		"missing notification":        "expected a notification, got none",
		"cron payload built from now": "",
		"expected failure":            "",
		"unexpected failure":          "rule needs-name failed",
		"unknown cron rule":           `no cron rule named "nope"`,
	}
	results := Run(set, clock, cases, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if len(results) != len(want) {
		t.Fatalf("%d results", len(results))
	}
	for _, r := range results {
		w := want[r.Case.Name]
		got := strings.Join(r.Problems, "\n")
		if w == "" && !r.Passed() {
			t.Errorf("%s: failed: %s", r.Case.Name, got)
		}
		if w != "" && !strings.Contains(got, w) {
			t.Errorf("%s: problems %q, want %q", r.Case.Name, got, w)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"empty", "", "t.yaml: the test file is empty"},
		{"unknown top key", "tset: []\n", `t.yaml:1:1: unknown key "tset" (want tests)`},
		{"unknown case key", "tests:\n  - name: a\n    on: webhook:x\n    evnt: {}\n    expect: []\n", `t.yaml:4:5: unknown key "evnt"`},
		{"missing expect", "tests:\n  - name: a\n    on: webhook:x\n", "t.yaml:2:5: test case: expect is required"},
		{"expect not a list", "tests:\n  - {name: a, on: webhook:x, expect: {rule: r}}\n", "expect: want a list"},
		{"expectation without rule", "tests:\n  - {name: a, on: webhook:x, expect: [{text: hi}]}\n", "expect: rule is required"},
		{"unknown expectation key", "tests:\n  - {name: a, on: webhook:x, expect: [{rule: r, txt: hi}]}\n", `expect: unknown key "txt"`},
		{"no cases", "tests: []\n", "no test cases"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestBuildEvent(t *testing.T) {
	set := loadSet(t, &Clock{})
	now := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		on      string
		source  rules.Source
		trigger string
		err     string
	}{
		{"nats:orders.eu.created", rules.SourceNATS, "orders.eu.created", ""},
		{"webhook:orders", rules.SourceWebhook, "orders", ""},
		{"cron:nightly", rules.SourceCron, "nightly", ""},
		{"cron:shipped", "", "", "no cron rule"},
		{"mqtt:x", "", "", "unknown trigger kind"},
		{"webhook", "", "", "want nats:SUBJECT"},
	} {
		ev, err := BuildEvent(set, tt.on, nil, now)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err = %v, want %q", tt.on, err, tt.err)
			}
			continue
		}
		if err != nil || ev.Source != tt.source || ev.Trigger != tt.trigger {
			t.Errorf("%s: %+v, %v", tt.on, ev, err)
		}
	}
}

package ruletest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/korelay/korelay/rules"
)

const timingRules = `rules:
  - name: offboard
    on: {nats: "hr.offboarded"}
    devices: {action: unsubscribe, user: event.kore_id, device: all}
  - name: night
    on: {webhook: orders}
    notify: {channel: slack, to: event.email, text: "Order {{ .event.id }} shipped."}
    quiet_hours: {between: "22:00-07:00", timezone: Europe/Berlin}
`

func TestRunDevicesAndAt(t *testing.T) {
	clock := &Clock{}
	file := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(file, []byte(timingRules), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err := rules.Load([]string{file}, rules.Env{Webhooks: map[string]bool{"orders": true}, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	cases, err := Parse("t.yaml", []byte(`tests:
  - name: offboarding
    on: nats:hr.offboarded
    event: {kore_id: u-7}
    expect: [{rule: offboard, devices: {action: unsubscribe, user: u-7, device: all}}]
  - name: wrong user
    on: nats:hr.offboarded
    event: {kore_id: u-8}
    expect: [{rule: offboard, devices: {user: u-7}}]
  - name: a device action is not a notification
    on: webhook:orders
    now: 2027-03-07T12:00:00Z
    event: {id: 1, email: a@x}
    expect: [{rule: night, devices: {action: unsubscribe}}]
  - name: held overnight
    on: webhook:orders
    now: 2027-03-06T23:30:00+01:00
    event: {id: 2, email: a@x}
    expect: [{rule: night, to: [a@x], text: "Order 2 shipped.", at: 2027-03-07T07:00:00+01:00}]
  - name: sent at once, expected held
    on: webhook:orders
    now: 2027-03-07T12:00:00Z
    event: {id: 3, email: a@x}
    expect: [{rule: night, at: 2027-03-07T07:00:00+01:00}]
  - name: held, other time
    on: webhook:orders
    now: 2027-03-06T23:30:00+01:00
    event: {id: 4, email: a@x}
    expect: [{rule: night, at: 2027-03-07T08:00:00+01:00}]
`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"offboarding":                           "",
		"wrong user":                            `devices.user: expected "u-7", got "u-8"`,
		"a device action is not a notification": "devices: expected a device action, got a notification",
		"held overnight":                        "",
		"sent at once, expected held":           "at: expected it held until 2027-03-07T07:00:00+01:00, got it sent at once",
		"held, other time":                      "at: expected 2027-03-07T08:00:00+01:00, got 2027-03-07T07:00:00+01:00 (quiet_hours in Europe/Berlin)",
	}
	for _, r := range Run(set, clock, cases, time.Now()) {
		w, got := want[r.Case.Name], strings.Join(r.Problems, "\n")
		if w == "" && !r.Passed() {
			t.Errorf("%s: failed: %s", r.Case.Name, got)
		}
		if w != "" && !strings.Contains(got, w) {
			t.Errorf("%s: problems %q, want %q", r.Case.Name, got, w)
		}
	}
}

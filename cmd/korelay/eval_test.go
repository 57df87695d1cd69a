package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// eval shows device actions, and with -at whether quiet hours or a digest
// would hold a notification, and until when.
func TestEvalShowsDevicesAndHolds(t *testing.T) {
	file := writeConfig(t, nil, "")
	dir := filepath.Dir(file)
	rules := `rules:
  - name: offboard
    on: {webhook: orders}
    when: event.status == "offboarded"
    devices: {action: unsubscribe, user: event.kore_id, device: all}
  - name: night
    on: {webhook: orders}
    when: event.status == "shipped"
    notify: {channel: slack, to: event.email, text: "Order {{ .event.id }} shipped."}
    quiet_hours: {between: "22:00-07:00", timezone: Europe/Berlin}
  - name: daily
    on: {webhook: orders}
    when: event.status == "shipped"
    notify: {channel: slack, to: event.email, text: "{{ .event.id }}"}
    digest: {cron: "0 18 * * *", timezone: Europe/Berlin, text: "{{ .count }} shipped"}
`
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	offboarded := write("off.json", `{"status": "offboarded", "kore_id": "u-7"}`)
	shipped := write("shipped.json", `{"status": "shipped", "id": 42, "email": "a@x.com"}`)
	tests := []struct {
		name string
		args []string
		want []string
		not  []string
	}{
		{"device action", []string{"-event", offboarded}, []string{"rule offboard (live): devices unsubscribe all devices of user u-7"}, nil},
		{"held at night", []string{"-event", shipped, "-at", "2027-03-06T23:30:00+01:00"}, []string{
			"rule night (live): slack to 1 identity: a@x.com",
			"held by quiet hours until 2027-03-07T07:00:00+01:00 (Europe/Berlin)",
			"collected for the digest sent at 2027-03-07T18:00:00+01:00 (Europe/Berlin)",
		}, nil},
		{"sent at noon", []string{"-event", shipped, "-at", "2027-03-07T12:00:00+01:00"}, []string{"rule night (live)"},
			[]string{"held by quiet hours"}},
		{"json", []string{"-event", shipped, "-at", "2027-03-06T23:30:00+01:00", "-json"},
			[]string{`"hold":{"reason":"quiet_hours","until":"2027-03-07T07:00:00+01:00","zone":"Europe/Berlin"}`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := korelay(t, append([]string{"eval", "-config", file, "-on", "webhook:orders"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(stdout, w) {
					t.Errorf("output has %q:\n%s", w, stdout)
				}
			}
		})
	}
	if code, _, stderr := korelay(t, "eval", "-config", file, "-on", "webhook:orders", "-event", shipped, "-at", "tonight"); code != 2 || !strings.Contains(stderr, "-at") {
		t.Errorf("-at tonight: exit %d, stderr %q; want a usage error", code, stderr)
	}
}

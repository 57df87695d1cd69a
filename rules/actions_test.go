package rules

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// loadErrors loads src and returns its load errors with the file name
// replaced by "rules.yaml".
func loadErrors(t *testing.T, src string) []string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	writeTestFile(t, path, src)
	_, err := Load([]string{path}, testEnv(t))
	var out []string
	for _, line := range errorLines(err) {
		out = append(out, strings.ReplaceAll(line, path, "rules.yaml"))
	}
	return out
}

func TestLoadActionErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"neither action", `
rules:
  - name: a
    on: {webhook: orders}
`, []string{`rules.yaml:3:5: rule "a": missing the action: notify or devices`}},
		{"both actions", `
rules:
  - name: a
    on: {webhook: orders}
    notify: {channel: slack, to: event.email, text: hi}
    devices: {action: unsubscribe, user: event.user, device: all}
`, []string{`rules.yaml:6:5: rule "a": has notify and devices; a rule has exactly one action`}},
		{"subscribe without os", `
rules:
  - name: a
    on: {webhook: orders}
    devices: {action: subscribe, user: event.user, device: event.device}
`, []string{`rules.yaml:5:14: devices: subscribe needs os (android, ios, or an expression giving one)`}},
		{"all with subscribe", `
rules:
  - name: a
    on: {webhook: orders}
    devices: {action: subscribe, user: event.user, device: all, os: ios}
`, []string{`rules.yaml:5:60: devices.device: all applies to unsubscribe only; subscribe names one device`}},
		{"os with all", `
rules:
  - name: a
    on: {webhook: orders}
    devices: {action: unsubscribe, user: event.user, device: all, os: ios}
`, []string{`rules.yaml:5:67: devices.os: does not apply to device: all`}},
		{"unknown action and names", `
rules:
  - name: a
    on: {webhook: orders}
    devices:
      action: unsubscibe
      user: evnt.user
      device: event.device
      platform: ios
`, []string{
			`rules.yaml:6:15: devices.action: must be subscribe or unsubscribe, found "unsubscibe" (did you mean "unsubscribe"?)`,
			`rules.yaml:7:13: devices.user: unknown name evnt`,
			`rules.yaml:9:7: devices: unknown key "platform"`,
		}},
		{"missing user and device", `
rules:
  - name: a
    on: {webhook: orders}
    devices: {action: unsubscribe}
`, []string{
			`rules.yaml:5:14: devices: missing required key "user" (an expression giving the Kore user id)`,
			`rules.yaml:5:14: devices: missing required key "device" (an expression giving the device id, or all)`,
		}},
		{"user that is no string", `
rules:
  - name: a
    on: {webhook: orders}
    devices: {action: unsubscribe, user: "1 + 2", device: all}
`, []string{`rules.yaml:5:42: devices.user: must be a string, found int`}},
		{"timing on devices", `
rules:
  - name: a
    on: {webhook: orders}
    devices: {action: unsubscribe, user: event.user, device: all}
    quiet_hours: {between: "22:00-07:00"}
`, []string{`rules.yaml:6:5: quiet_hours: applies to notify rules only, not to devices`}},
		{"bad quiet hours", `
rules:
  - name: a
    on: {webhook: orders}
    notify: {channel: slack, to: event.email, text: hi}
    quiet_hours: {between: "22:00-25:00", timezone: Europe/Berln, timezone_from: evnt.tz}
`, []string{
			`rules.yaml:6:28: quiet_hours.between: window "22:00-25:00": end: "25:00" is not a time of day (HH:MM or HH:MM:SS, 00:00 to 23:59:59)`,
			`rules.yaml:6:53: quiet_hours.timezone: unknown time zone "Europe/Berln"`,
			`rules.yaml:6:82: quiet_hours.timezone_from: unknown name evnt`,
		}},
		{"quiet hours without between", `
rules:
  - name: a
    on: {webhook: orders}
    notify: {channel: slack, to: event.email, text: hi}
    quiet_hours: {timezone: UTC}
`, []string{`rules.yaml:6:18: quiet_hours: missing required key "between" (such as "22:00-07:00")`}},
		{"bad digests", `
rules:
  - name: a
    on: {webhook: orders}
    notify: {channel: slack, to: event.email, text: hi}
    digest: {every: 1h, cron: "0 9 * * *", text: "{{ .count }}"}
  - name: b
    on: {webhook: orders}
    notify: {channel: slack, to: event.email, text: hi}
    digest: {every: 1500ms, text: "{{ .event.id }}"}
  - name: c
    on: {webhook: orders}
    notify: {channel: slack, to: event.email, text: hi}
    digest: {every: 1h, timezone: Europe/Berlin}
  - name: d
    on: {webhook: orders}
    notify: {channel: slack, to: event.email, text: hi}
    quiet_hours: {between: "22:00-07:00"}
    digest: {cron: "0 9 * * *", text: "{{ .count }}"}
`, []string{
			`rules.yaml:6:25: digest: set every or cron, not both`,
			`rules.yaml:10:21: digest.every: must be a whole number of seconds, found 1.5s`,
			`rules.yaml:10:39: digest.text: unknown name .event (digest templates see .items, .count, .now and .data)`,
			`rules.yaml:14:13: digest: missing the message: text or script (a template over .items and .count)`,
			`rules.yaml:14:25: digest.timezone: only allowed with digest.cron (every is counted from the Unix epoch)`,
			`rules.yaml:19:5: digest: not with quiet_hours; choose the digest's cron so it is sent outside them`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := loadErrors(t, tt.src)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("load errors:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

const devicesRules = `
rules:
  - name: offboard
    on: {webhook: orders}
    when: event.kind == "offboarded"
    devices: {action: unsubscribe, user: event.user, device: all}
  - name: new-phone
    on: {webhook: orders}
    when: event.kind == "phone"
    devices: {action: subscribe, user: event.user, device: event.device, os: event.os}
  - name: lost-phone
    on: {webhook: orders}
    when: event.kind == "lost"
    devices: {action: unsubscribe, user: event.user, device: event.device, os: IOS}
    dedup: {key: "{{ .event.device }}"}
  - name: team-wipe
    on: {webhook: orders}
    for_each: 'event.kind == "wipe" ? event.users : []'
    devices: {action: unsubscribe, user: item, device: all}
`

func TestEvaluateDevices(t *testing.T) {
	s := mustLoad(t, devicesRules)
	dev := func(action, user, device, os string) *DeviceAction {
		return &DeviceAction{Action: action, User: user, Device: device, OS: os}
	}
	tests := []struct {
		name    string
		payload string
		want    []*DeviceAction
		failure string
	}{
		{"unsubscribe all", `{"kind": "offboarded", "user": "u-1"}`, []*DeviceAction{dev("unsubscribe", "u-1", "all", "")}, ""},
		{"subscribe, os in Kore's spelling", `{"kind": "phone", "user": "u-1", "device": "d-9", "os": "ANDROID"}`,
			[]*DeviceAction{dev("subscribe", "u-1", "d-9", "Android")}, ""},
		{"a literal os word", `{"kind": "lost", "user": "u-1", "device": "d-9"}`, []*DeviceAction{dev("unsubscribe", "u-1", "d-9", "iOS")}, ""},
		{"for_each merges repeated users", `{"kind": "wipe", "users": ["u-1", "u-2", "u-1"]}`,
			[]*DeviceAction{dev("unsubscribe", "u-1", "all", ""), dev("unsubscribe", "u-2", "all", "")}, ""},
		{"unknown os", `{"kind": "phone", "user": "u-1", "device": "d-9", "os": "symbian"}`, nil, `devices.os: must be android or ios, found "symbian"`},
		{"missing user", `{"kind": "offboarded"}`, nil, `devices.user: must be a string, found null`},
		{"empty user", `{"kind": "offboarded", "user": ""}`, nil, `devices.user: empty string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.Evaluate(&Event{ID: "ev-1", Source: SourceWebhook, Trigger: "orders", Payload: mustJSON(t, tt.payload)})
			var got []*DeviceAction
			for _, n := range res.Notifications {
				if n.Action != ActionDevices || n.Channel != "" || n.Message != "" || len(n.Identities) != 1 || n.Identities[0] != n.Devices.User {
					t.Errorf("notification %+v: want a devices action for one user", n)
				}
				got = append(got, n.Devices)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("device actions = %v, want %v", got, tt.want)
			}
			if tt.failure == "" && len(res.Failures) > 0 {
				t.Errorf("failures: %v", res.Failures[0].Err)
			}
			if tt.failure != "" && (len(res.Failures) != 1 || !strings.Contains(res.Failures[0].Err.Error(), tt.failure)) {
				t.Errorf("failures = %+v, want one containing %q", res.Failures, tt.failure)
			}
		})
	}
}

func TestEvaluateQuietHours(t *testing.T) {
	src := `
rules:
  - name: night
    on: {webhook: orders}
    notify: {channel: slack, to: event.email, text: "hi"}
    quiet_hours: {between: "22:00-07:00", timezone: Europe/Berlin}
  - name: night-per-person
    on: {webhook: github}
    for_each: event.people
    notify: {channel: slack, to: item.email, text: "hi"}
    quiet_hours: {between: "22:00-07:00", timezone_from: item.tz}
`
	berlin, _ := time.LoadLocation("Europe/Berlin")
	ny, _ := time.LoadLocation("America/New_York")
	tests := []struct {
		name    string
		now     time.Time
		trigger string
		payload string
		want    map[string]*Hold // first identity → hold
		failure string
	}{
		{"inside: held until 07:00 Berlin", time.Date(2027, 3, 6, 23, 30, 0, 0, time.UTC), "orders", `{"email": "a@x"}`,
			map[string]*Hold{"a@x": {Reason: HoldQuiet, Until: time.Date(2027, 3, 7, 7, 0, 0, 0, berlin), Zone: "Europe/Berlin"}}, ""},
		{"outside: sent now", time.Date(2027, 3, 7, 9, 0, 0, 0, time.UTC), "orders", `{"email": "a@x"}`,
			map[string]*Hold{"a@x": nil}, ""},
		{"identities split by zone", time.Date(2027, 3, 7, 3, 0, 0, 0, time.UTC), "github",
			`{"people": [{"email": "b@x", "tz": "Europe/Berlin"}, {"email": "t@x", "tz": "Asia/Tokyo"}, {"email": "n@x", "tz": "America/New_York"}, {"email": "u@x"}]}`,
			map[string]*Hold{
				"b@x": {Reason: HoldQuiet, Until: time.Date(2027, 3, 7, 7, 0, 0, 0, berlin), Zone: "Europe/Berlin"},
				"t@x": nil, // 12:00 in Tokyo
				"n@x": {Reason: HoldQuiet, Until: time.Date(2027, 3, 7, 7, 0, 0, 0, ny), Zone: "America/New_York"},
				"u@x": {Reason: HoldQuiet, Until: time.Date(2027, 3, 7, 7, 0, 0, 0, time.UTC), Zone: "UTC"}, // no tz: the rule's (UTC)
			}, ""},
		{"unknown zone fails the item", time.Date(2027, 3, 7, 3, 0, 0, 0, time.UTC), "github",
			`{"people": [{"email": "b@x", "tz": "Mars/Olympus"}]}`, map[string]*Hold{}, `unknown time zone "Mars/Olympus"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := testEnv(t)
			env.Now = func() time.Time { return tt.now }
			path := filepath.Join(t.TempDir(), "rules.yaml")
			writeTestFile(t, path, src)
			s, err := Load([]string{path}, env)
			if err != nil {
				t.Fatal(err)
			}
			res := s.Evaluate(&Event{ID: "ev-1", Source: SourceWebhook, Trigger: tt.trigger, Payload: mustJSON(t, tt.payload)})
			got := map[string]*Hold{}
			for _, n := range res.Notifications {
				for _, id := range n.Identities {
					got[id] = n.Hold
				}
			}
			if !reflect.DeepEqual(holdStrings(got), holdStrings(tt.want)) {
				t.Errorf("holds = %v, want %v", holdStrings(got), holdStrings(tt.want))
			}
			if tt.failure != "" && (len(res.Failures) != 1 || !strings.Contains(res.Failures[0].Err.Error(), tt.failure)) {
				t.Errorf("failures = %+v, want one containing %q", res.Failures, tt.failure)
			}
		})
	}
}

// holdStrings renders holds comparably (time zones compare by name).
func holdStrings(m map[string]*Hold) map[string]string {
	out := map[string]string{}
	for id, h := range m {
		if h == nil {
			out[id] = "now"
			continue
		}
		out[id] = h.Reason + " until " + h.Until.Format(time.RFC3339) + " " + h.Zone
	}
	return out
}

func TestEvaluateDigestAndRender(t *testing.T) {
	s := mustLoad(t, `
rules:
  - name: shipped-daily
    on: {webhook: orders}
    notify: {channel: slack, to: event.email, text: "{{ .event.id }}"}
    digest:
      cron: "0 18 * * *"
      timezone: Europe/Berlin
      text: "{{ .count }} orders shipped today: {{ range $i, $e := .items }}{{ if $i }}, {{ end }}{{ .text }}{{ end }}"
  - name: hourly
    on: {webhook: github}
    notify: {channel: slack, to: event.email, text: "{{ .event.id }}"}
    digest: {every: 1h, script: "print({{ .count }} + ' ' + {{ (index .items 0).event.id }})"}
  - name: undigested
    on: {nats: "shop.>"}
    notify: {channel: slack, to: event.email, text: "{{ .event.id }}"}
`)
	res := s.Evaluate(&Event{ID: "ev-1", Source: SourceWebhook, Trigger: "orders", Payload: mustJSON(t, `{"id": 42, "email": "a@x"}`)})
	if len(res.Notifications) != 1 || res.Notifications[0].Hold == nil || res.Notifications[0].Message != "42" {
		t.Fatalf("Evaluate = %+v", res)
	}
	h := res.Notifications[0].Hold
	if want := time.Date(2027, 3, 7, 17, 0, 0, 0, time.UTC); h.Reason != HoldDigest || !h.Until.Equal(want) || h.Zone != "Europe/Berlin" {
		t.Errorf("hold = %+v, want a digest until %v", h, want)
	}
	res = s.Evaluate(&Event{ID: "ev-2", Source: SourceWebhook, Trigger: "github", Payload: mustJSON(t, `{"id": 7, "email": "a@x"}`)})
	if h := res.Notifications[0].Hold; !h.Until.Equal(testNow.Add(time.Hour)) {
		t.Errorf("every 1h: until %v, want %v (aligned to the hour)", h.Until, testNow.Add(time.Hour))
	}

	items := []DigestItem{{Text: "42", Event: mustJSON(t, `{"id": 42}`)}, {Text: "43"}, {Text: "44"}}
	tests := []struct {
		rule  string
		items []DigestItem
		want  DigestMessage
	}{
		{"shipped-daily", items, DigestMessage{"text", "3 orders shipped today: 42, 43, 44"}},
		{"shipped-daily", items[:1], DigestMessage{"text", "1 orders shipped today: 42"}},
		{"hourly", items, DigestMessage{"script", "print(3 + ' ' + 42)"}},
		{"gone", items, DigestMessage{"text", "3 updates:\n- 42\n- 43\n- 44"}},
		{"undigested", items[1:], DigestMessage{"text", "2 updates:\n- 43\n- 44"}}, // the digest was reloaded away
	}
	for _, tt := range tests {
		got, err := s.RenderDigest(tt.rule, tt.items, testNow)
		if err != nil || got != tt.want {
			t.Errorf("RenderDigest(%s, %d items) = %+v, %v; want %+v", tt.rule, len(tt.items), got, err, tt.want)
		}
	}
	if _, err := s.RenderDigest("hourly", items[1:], testNow); err == nil || !strings.Contains(err.Error(), "digest.script") {
		t.Errorf("a digest template failing on its items: err = %v, want a digest.script error with its position", err)
	}
}

func writeTestFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

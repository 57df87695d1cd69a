package rules

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// mustJSON decodes a JSON payload as triggers do.
func mustJSON(t testing.TB, s string) any {
	t.Helper()
	v, err := DecodeJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func goodSet(t testing.TB) *Set {
	t.Helper()
	s, err := LoadGlobs(".", []string{"testdata/good/*.yaml"}, testEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEvaluateWebhook(t *testing.T) {
	s := goodSet(t)
	ev := &Event{ID: "ev-1", Source: SourceWebhook, Trigger: "orders",
		Payload: mustJSON(t, `{"id": 42, "status": "shipped", "customer": {"name": "Ann", "email": "ann@example.com"}}`)}
	res := s.Evaluate(ev)
	want := []Notification{{
		EventID: "ev-1", Rule: "order-shipped", Mode: ModeLive, Action: ActionNotify, Channel: "slack",
		MessageType: "text", Message: "Hi Ann, order 42 has shipped.", Identities: []string{"ann@example.com"},
		DedupKey: "42", DedupFor: 24 * time.Hour,
	}}
	if !reflect.DeepEqual(res.Notifications, want) || len(res.Failures) != 0 || !reflect.DeepEqual(res.Matched, []string{"order-shipped"}) {
		t.Errorf("Evaluate = %+v", res)
	}

	pending := &Event{ID: "ev-2", Source: SourceWebhook, Trigger: "orders", Payload: mustJSON(t, `{"id": 43, "status": "pending"}`)}
	if res := s.Evaluate(pending); len(res.Notifications)+len(res.Failures)+len(res.Matched) != 0 {
		t.Errorf("pending order: %+v", res)
	}
	if res := s.Evaluate(&Event{Source: SourceWebhook, Trigger: "github", Payload: map[string]any{}}); len(res.Matched) != 0 {
		t.Errorf("github: %+v", res)
	}
}

func TestEvaluateMissingKeyIsAFailure(t *testing.T) {
	s := mustLoad(t, `
rules:
  - name: a-broken
    on: {webhook: orders}
    notify: {channel: slack, to: event.email, text: "Hi {{ .event.customer.name }}"}
  - name: b-null
    on: {webhook: orders}
    notify: {channel: slack, to: event.email, text: "Hi {{ .event.nickname }}"}
  - name: c-slow-path
    on: {webhook: orders}
    notify: {channel: slack, to: event.email, text: "Hi {{ .event.customer.name | upper }}"}
  - name: d-fine
    on: {webhook: orders}
    notify: {channel: slack, to: event.email, text: "Hi {{ index .event \"nickname\" | default \"there\" }}"}
  - name: e-to-missing
    on: {webhook: orders}
    notify: {channel: slack, to: event.owner, text: "hi"}
`)
	ev := &Event{ID: "ev-9", Source: SourceWebhook, Trigger: "orders",
		Payload: mustJSON(t, `{"email": "ann@example.com", "customer": {}, "nickname": null}`)}
	res := s.Evaluate(ev)
	if len(res.Notifications) != 1 || res.Notifications[0].Rule != "d-fine" || res.Notifications[0].Message != "Hi there" {
		t.Errorf("notifications = %+v", res.Notifications)
	}
	var got []string
	for _, f := range res.Failures {
		if f.EventID != "ev-9" {
			t.Errorf("failure event id %q", f.EventID)
		}
		var e *Error
		if !errors.As(f.Err, &e) {
			t.Errorf("%s: error %T is not an *Error", f.Rule, f.Err)
		}
		got = append(got, strings.ReplaceAll(f.Err.Error(), e.File, "rules.yaml"))
	}
	want := []string{
		`rule a-broken: rules.yaml:5:60: notify.text: map has no entry for key "name" (at <.event.customer.name>)`,
		`rule b-null: rules.yaml:8:60: notify.text: value is missing or null (at <.event.nickname>)`,
		`rule c-slow-path: rules.yaml:11:60: notify.text: map has no entry for key "name" (at <.event.customer.name>)`,
		`rule e-to-missing: rules.yaml:17:34: notify.to: must be a string or a list of strings, found null`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("failures:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(res.Matched) != 5 {
		t.Errorf("matched = %v", res.Matched)
	}
}

func TestEvaluateNATSExactAndWildcard(t *testing.T) {
	s := mustLoad(t, `
rules:
  - {name: exact, on: {nats: orders.eu.created}, notify: {channel: slack, to: event.email, text: "exact {{ .meta.subject }}"}}
  - {name: star, on: {nats: "orders.*.created"}, notify: {channel: slack, to: event.email, text: "star {{ .meta.subject }}"}}
  - {name: all, on: {nats: "orders.>"}, notify: {channel: slack, to: event.email, text: "all {{ .meta.subject }}"}}
  - {name: lead-star, on: {nats: "*.eu.*"}, notify: {channel: slack, to: event.email, text: "lead"}}
  - {name: billing, on: {nats: billing.invoice}, notify: {channel: slack, to: event.email, text: "billing"}}
`)
	payload := map[string]any{"email": "ann@example.com"}
	for _, tt := range []struct{ subject, want string }{
		{"orders.eu.created", "all exact lead-star star"},
		{"orders.us.created", "all star"},
		{"orders.eu", "all"},
		{"orders.eu.created.late", "all"},
		{"orders", ""},
		{"billing.invoice", "billing"},
		{"billing.eu.x", "lead-star"},
		{"other", ""},
		{"orders..created", ""},
	} {
		res := s.Evaluate(&Event{Source: SourceNATS, Trigger: tt.subject, Payload: payload})
		if got := strings.Join(res.Matched, " "); got != tt.want {
			t.Errorf("%s: matched %q, want %q", tt.subject, got, tt.want)
		}
		for _, n := range res.Notifications {
			if strings.Contains(n.Message, " ") && !strings.HasSuffix(n.Message, " "+tt.subject) {
				t.Errorf("%s: message %q", tt.subject, n.Message)
			}
		}
	}
}

func TestEvaluateCronForEachDataset(t *testing.T) {
	s := goodSet(t)
	ev := CronEvent("password-expiry", testNow.Add(-time.Hour), testNow)
	res := s.Evaluate(&ev)
	var got []string
	for _, n := range res.Notifications {
		got = append(got, fmt.Sprintf("%v %q %s %s", n.Identities, n.Message, n.DedupKey, n.DedupFor))
	}
	want := []string{
		`[ann@example.com] "Your password expires in 3 days." ann@example.com-2027-03-10 48h0m0s`,
		`[bob@example.com] "Your password expires in 1 days." bob@example.com-2027-03-08 48h0m0s`,
		`[cy@example.com] "Your password expires in 3 days." cy@example.com-2027-03-10 48h0m0s`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") || len(res.Failures) != 0 {
		t.Errorf("notifications:\n%s\nwant:\n%s\nfailures: %v", strings.Join(got, "\n"), strings.Join(want, "\n"), res.Failures)
	}
	if ev.ID != fmt.Sprintf("cron:password-expiry:%d", testNow.Add(-time.Hour).Unix()) {
		t.Errorf("cron event id %q", ev.ID)
	}
}

func TestEvaluateForEachMergesIdenticalMessages(t *testing.T) {
	s := mustLoad(t, `
rules:
  - name: team-digest
    on: {cron: "@daily"}
    for_each: data.employees
    notify:
      channel: msteams
      to: '[item.email, item.email]'
      groups: [ops]
      text: "Digest for team {{ .item.team }}"
`)
	ev := CronEvent("team-digest", testNow, testNow)
	res := s.Evaluate(&ev)
	var got []string
	for _, n := range res.Notifications {
		got = append(got, fmt.Sprintf("%q %v", n.Message, n.Identities))
	}
	want := []string{
		`"Digest for team finance" [ann@example.com bob@example.com olga@example.com cy@example.com]`,
		`"Digest for team ops" [bob@example.com olga@example.com]`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("notifications:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestEvaluateForEachItemFailures(t *testing.T) {
	s := mustLoad(t, `
rules:
  - name: items
    on: {webhook: orders}
    for_each: event.lines
    when: item.qty > 0
    notify: {channel: slack, to: item.owner, text: "{{ .item.sku }} x{{ .item.qty }}"}
`)
	ev := &Event{ID: "e", Source: SourceWebhook, Trigger: "orders", Payload: mustJSON(t,
		`{"lines": [{"sku": "A", "qty": 2, "owner": "ann"}, {"sku": "B", "qty": 0, "owner": "bob"}, {"qty": 1, "owner": "cy"}, {"sku": "D", "qty": 1, "owner": 7}]}`)}
	res := s.Evaluate(ev)
	if len(res.Notifications) != 1 || res.Notifications[0].Message != "A x2" || len(res.Matched) != 1 {
		t.Errorf("result: %+v", res)
	}
	if len(res.Failures) != 1 {
		t.Fatalf("failures: %v", res.Failures)
	}
	msg := res.Failures[0].Err.Error()
	for _, want := range []string{"2 of 4 items failed", "item 2: ", `map has no entry for key "sku"`, "item 3: ", "must be a string or a list of strings, found int"} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure %q lacks %q", msg, want)
		}
	}
	res = s.Evaluate(&Event{Source: SourceWebhook, Trigger: "orders", Payload: mustJSON(t, `{}`)})
	if len(res.Failures) != 1 || !strings.Contains(res.Failures[0].Err.Error(), "for_each: must be a list, found null") {
		t.Errorf("missing list: %v", res.Failures)
	}
}

func TestEvaluateGroupsDedupAndShadow(t *testing.T) {
	s := mustLoad(t, `
rules:
  - name: alert
    on: {nats: ops.alert}
    mode: shadow
    notify:
      channel: msteams
      to: '["bob@example.com", event.oncall]'
      groups: [finance, ops]
      text: "{{ .event.summary }}"
    dedup: {key: "{{ .event.id }}-{{ .meta.source }}", for: 2h}
`)
	res := s.Evaluate(&Event{ID: "x", Source: SourceNATS, Trigger: "ops.alert",
		Payload: map[string]any{"id": 7, "oncall": "zed@example.com", "summary": "disk full"}})
	want := []Notification{{
		EventID: "x", Rule: "alert", Mode: ModeShadow, Action: ActionNotify, Channel: "msteams", MessageType: "text",
		Message: "disk full", Identities: []string{"bob@example.com", "zed@example.com", "ann@example.com", "olga@example.com"},
		DedupKey: "7-nats", DedupFor: 2 * time.Hour,
	}}
	if !reflect.DeepEqual(res.Notifications, want) {
		t.Errorf("notifications:\n%+v\nwant\n%+v", res.Notifications, want)
	}
}

func TestEvaluateExactNumbers(t *testing.T) {
	s := mustLoad(t, `
rules:
  - name: numbers
    on: {webhook: orders}
    when: event.id == 1234567890123456789
    notify:
      channel: slack
      to: '"ann@example.com"'
      text: "{{ .event.id }} {{ .event.big }} {{ .event.price }} {{ .event.million }} {{ .event.tags }} {{ .data.products }}"
`)
	ev := &Event{Source: SourceWebhook, Trigger: "orders", Payload: mustJSON(t,
		`{"id": 1234567890123456789, "big": 123456789012345678901234, "price": 9.5, "million": 1e6, "tags": ["a", 1]}`)}
	res := s.Evaluate(ev)
	want := `1234567890123456789 123456789012345678901234 9.5 1000000 ["a",1] [{"id":1234567890123456789,"price":9.5,"sku":"A-1"}]`
	if len(res.Notifications) != 1 || res.Notifications[0].Message != want {
		t.Errorf("result %+v\nwant message %s", res, want)
	}
}

func TestEvaluateMetaAndNow(t *testing.T) {
	s := mustLoad(t, `
rules:
  - name: hook
    on: {webhook: github}
    when: meta.source == "webhook" && meta.webhook == "github" && meta.headers["X-Event"] == "push"
    notify:
      channel: slack
      to: '"ann@example.com"'
      text: "{{ .meta.id }} {{ .meta.webhook }} {{ index .meta.headers \"X-Event\" }} {{ .meta.time }} {{ .now }}"
  - name: tick
    on: {cron: "0 9 * * *", timezone: Europe/Berlin}
    when: now.Hour() == 10 && meta.schedule == "0 9 * * *"
    notify:
      channel: slack
      groups: [finance]
      text: "{{ .meta.schedule }} {{ .now }} {{ .event.rule }} {{ date \"Mon 15:04\" .now }} {{ daysUntil \"2027-03-10\" }}"
`)
	res := s.Evaluate(&Event{ID: "h1", Source: SourceWebhook, Trigger: "github", Time: testNow,
		Headers: map[string]string{"X-Event": "push"}, Payload: map[string]any{}})
	if len(res.Notifications) != 1 || res.Notifications[0].Message != "h1 github push 2027-03-07T09:00:00Z 2027-03-07T09:00:00Z" {
		t.Errorf("webhook: %+v", res)
	}
	ev := CronEvent("tick", testNow, testNow)
	res = s.Evaluate(&ev)
	if len(res.Notifications) != 1 || res.Notifications[0].Message != "0 9 * * * 2027-03-07T10:00:00+01:00 tick Sun 10:00 3" {
		t.Errorf("cron: %+v", res)
	}
}

func TestEvaluateScriptEscaping(t *testing.T) {
	s := mustLoad(t, "rules:\n"+
		"  - name: js\n"+
		"    on: {webhook: orders}\n"+
		"    notify:\n"+
		"      channel: slack\n"+
		"      to: '\"ann@example.com\"'\n"+
		"      script: |\n"+
		"        var a = {{ .event.s }}; var b = `x{{ .event.s }}`; /* {{ .event.s }} */ var n = {{ .event.n }}; var o = {{ .event.o }};\n")
	hostile := []string{
		`"; alert(1); //`,
		`'; alert(1); '`,
		"`; alert(1); `",
		"${alert(1)}",
		`</script><script>alert(1)</script>`,
		`<!-- x`,
		`*/ alert(1) /*`,
		`\"; alert(1); //`,
		"line\u2028sep\u2029par",
		"ctl\x00\x01\x1f\n\r\t",
		"é ü 😀",
	}
	for _, h := range hostile {
		payload := map[string]any{"s": h, "n": 1234567890123456789, "o": map[string]any{"k": h}}
		res := s.Evaluate(&Event{Source: SourceWebhook, Trigger: "orders", Payload: payload})
		if len(res.Notifications) != 1 {
			t.Fatalf("%q: %+v", h, res)
		}
		out := res.Notifications[0].Message
		lit, err := formatJS(h)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"</", "<!--", "*/", "${", "\u2028", "\u2029", "\x00", "'", "`x`"} {
			if strings.Contains(lit, bad) {
				t.Errorf("%q: literal %s contains %q", h, lit, bad)
			}
		}
		content, err := formatJSString(h) // inside the author's template literal: no quotes added
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("var a = %s; var b = `x%s`; /* %s */ var n = 1234567890123456789;", lit, content, lit); !strings.HasPrefix(out, want) {
			t.Errorf("%q: script\n%s\nwant prefix\n%s", h, out, want)
		}
		if got := jsStringValue(t, lit); got != h {
			t.Errorf("%q: literal %s reads back as %q", h, lit, got)
		}
		if strings.Count(out, "\n") != 1 {
			t.Errorf("%q: script has extra lines: %q", h, out)
		}
	}
}

func TestEvaluateConcurrent(t *testing.T) {
	s := goodSet(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				id := g*1000 + i
				ev := &Event{ID: fmt.Sprint(id), Source: SourceWebhook, Trigger: "orders", Payload: map[string]any{
					"id": id, "status": "shipped", "customer": map[string]any{"name": "N", "email": fmt.Sprintf("u%d@example.com", id)}}}
				res := s.Evaluate(ev)
				if len(res.Notifications) != 1 || res.Notifications[0].Message != fmt.Sprintf("Hi N, order %d has shipped.", id) ||
					res.Notifications[0].Identities[0] != fmt.Sprintf("u%d@example.com", id) {
					t.Errorf("event %d: %+v", id, res)
					return
				}
				cron := CronEvent("password-expiry", testNow, testNow)
				if res := s.Evaluate(&cron); len(res.Notifications) != 3 {
					t.Errorf("cron: %+v", res)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestExpressionLimits(t *testing.T) {
	long := strings.Repeat("event.a == 1 || ", 300) + "true"
	many := "event.a == " + strings.Repeat("1+", 1200) + "1"
	_, err := loadString(t, fmt.Sprintf(`
rules:
  - {name: long, on: {webhook: orders}, when: '%s', notify: {channel: slack, to: event.email, text: hi}}
  - {name: many, on: {webhook: orders}, when: '%s', notify: {channel: slack, to: event.email, text: hi}}
`, long, many))
	got := errorLines(err)
	if len(got) != 2 || !strings.HasSuffix(got[0], "when: expression is 4804 bytes long, more than the limit of 4096") ||
		!strings.Contains(got[1], "when: compilation failed: expression exceeds maximum allowed nodes") {
		t.Errorf("errors:\n%v", err)
	}

	s := mustLoad(t, `
rules:
  - {name: budget, on: {webhook: orders}, when: 'len(map(1..2000, map(1..1000, #))) > 0', notify: {channel: slack, to: event.email, text: hi}}
  - {name: fine, on: {webhook: orders}, when: 'len(map(1..100, #)) > 0', notify: {channel: slack, to: event.email, text: hi}}
`)
	res := s.Evaluate(&Event{Source: SourceWebhook, Trigger: "orders", Payload: map[string]any{"email": "a@example.com"}})
	if len(res.Failures) != 1 || !strings.Contains(res.Failures[0].Err.Error(), "memory budget exceeded") || len(res.Notifications) != 1 {
		t.Errorf("result: %+v", res)
	}
}

func TestEvaluateWhenOnMissingAndNonBoolean(t *testing.T) {
	s := mustLoad(t, `
rules:
  - {name: flag, on: {webhook: orders}, when: event.vip, notify: {channel: slack, to: '"a"', text: hi}}
`)
	for payload, want := range map[string]string{
		`{"vip": true}`:  "notify",
		`{"vip": false}`: "",
		`{}`:             "",
		`{"vip": "yes"}`: "when: invalid operation: bool(string)",
	} {
		res := s.Evaluate(&Event{Source: SourceWebhook, Trigger: "orders", Payload: mustJSON(t, payload)})
		got := ""
		switch {
		case len(res.Notifications) == 1:
			got = "notify"
		case len(res.Failures) == 1:
			got = res.Failures[0].Err.Error()[strings.LastIndex(res.Failures[0].Err.Error(), "when:"):]
		}
		if got != want {
			t.Errorf("%s: got %q, want %q", payload, got, want)
		}
	}
}

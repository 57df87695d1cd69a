package service

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func greetRules(version, subject string) string {
	return fmt.Sprintf(`
rules:
  - name: greet
    on: {nats: %q}
    notify: {channel: slack, to: event.email, text: "%s hello {{ .event.name }}"}
`, subject, version)
}

// brokenRules fails to load: an expression with a syntax error (line 5).
const brokenRules = `
rules:
  - name: greet
    on: {nats: "greet.>"}
    when: event.name ==
    notify: {channel: slack, to: event.email, text: "broken"}
`

// greet publishes a greeting for name and waits for its notification,
// returning its text.
func (e *e2e) greet(subject, name string) string {
	e.t.Helper()
	id := name + "@example.com"
	e.publish(subject, `{"name": "`+name+`", "email": "`+id+`"}`)
	var text string
	eventually(e.t, e2eDeadline, func() bool {
		for _, c := range e.notifyCalls() {
			if slices.Contains(c.Notify.Identities, id) {
				text = c.Notify.Message.Val
				return true
			}
		}
		return false
	}, func() string { return "no notification for " + id })
	return text
}

func (e *e2e) reloadMetric() float64 {
	e.t.Helper()
	v, ok := e.metric("korelay_config_last_reload_successful")
	if !ok {
		e.t.Fatal("korelay_config_last_reload_successful missing from /metrics")
	}
	return v
}

// An invalid reload keeps the old rules in force, says where the error is
// and sets korelay_config_last_reload_successful to 0; a good one takes
// over and sets it back to 1.
func TestE2EInvalidReloadKeepsOldRules(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eSpec{Rules: greetRules("v1", "greet.>")})
	file := filepath.Join(e.dir, "rules.yaml")
	if v := e.reloadMetric(); v != 1 {
		t.Errorf("after start: korelay_config_last_reload_successful = %v, want 1", v)
	}

	writeFile(t, file, brokenRules)
	err := e.svc.Reload()
	if err == nil {
		t.Fatal("Reload of a broken rule file succeeded")
	}
	if !strings.Contains(err.Error(), "rules.yaml:5:") {
		t.Errorf("Reload error %q does not name rules.yaml:5:COL", err)
	}
	if got := e.greet("greet.eu", "ann"); got != "v1 hello ann" {
		t.Errorf("after the bad reload the text is %q, want the old rule's %q", got, "v1 hello ann")
	}
	if v := e.reloadMetric(); v != 0 {
		t.Errorf("after a bad reload: korelay_config_last_reload_successful = %v, want 0", v)
	}

	writeFile(t, file, greetRules("v2", "greet.>"))
	if err := e.svc.Reload(); err != nil {
		t.Fatalf("Reload of a good rule file: %v", err)
	}
	if got := e.greet("greet.eu", "bob"); got != "v2 hello bob" {
		t.Errorf("after the good reload the text is %q, want %q", got, "v2 hello bob")
	}
	if v := e.reloadMetric(); v != 1 {
		t.Errorf("after a good reload: korelay_config_last_reload_successful = %v, want 1", v)
	}
}

// A changed rule file is picked up by the watcher: the new rule's NATS
// subject is captured by the ingest stream and its text used; a broken
// change afterwards keeps it.
func TestE2ERuleFileChangeReloads(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eSpec{Rules: greetRules("v1", "greet.>"), Watch: 100 * time.Millisecond})
	file := filepath.Join(e.dir, "rules.yaml")
	if got := e.greet("greet.eu", "ann"); got != "v1 hello ann" {
		t.Fatalf("text %q, want %q", got, "v1 hello ann")
	}

	writeFile(t, file, greetRules("v2", "welcome.>"))
	eventually(t, e2eDeadline, func() bool {
		s, err := e.jetstream().Stream(context.Background(), e.cfg.NATS.Stream)
		return err == nil && slices.Contains(s.CachedInfo().Config.Subjects, "welcome.>")
	}, func() string { return "the ingest stream does not capture the new rule's subject welcome.>" })
	if got := e.greet("welcome.eu", "bob"); got != "v2 hello bob" {
		t.Errorf("after the file changed the text is %q, want %q", got, "v2 hello bob")
	}

	writeFile(t, file, brokenRules)
	eventually(t, e2eDeadline, func() bool { return e.reloadMetric() == 0 },
		func() string { return "a broken rule file did not set korelay_config_last_reload_successful to 0" })
	if got := e.greet("welcome.eu", "carl"); got != "v2 hello carl" {
		t.Errorf("after a broken change the text is %q, want the last good rule's %q", got, "v2 hello carl")
	}
}

// A change to korelay.yaml's groups, webhooks or datasets, or to a dataset
// file, is reloaded like a rule change: the running service notifies the
// new group members and dataset rows and serves the new webhook; a change
// that needs a restart is named in a warning; a broken configuration keeps
// the old one in force.
func TestE2EConfigChangeReloads(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eSpec{
		Watch: 100 * time.Millisecond,
		Files: map[string]string{"people.csv": "email\nann@example.com\n"},
		Extra: `
groups:
  team: [ann@example.com]
datasets:
  people: people.csv
webhooks:
  orders:
    auth: {type: bearer, secret: ` + e2eBearerToken + `}
`,
		Rules: `
rules:
  - name: to-team
    on: {nats: "team.>"}
    notify: {channel: slack, groups: [team], text: "team {{ .event.n }}"}
  - name: to-people
    on: {nats: "people.>"}
    for_each: data.people
    notify: {channel: slack, to: item.email, text: "people {{ .event.n }}"}
`,
	})
	notified := func(text string) []string {
		for _, c := range e.notifyCalls() {
			if c.Notify.Message.Val == text {
				return c.Notify.Identities
			}
		}
		return nil
	}
	waitFor := func(text string) []string {
		t.Helper()
		eventually(t, e2eDeadline, func() bool { return notified(text) != nil },
			func() string { return "no call with " + text + "\n" + e.logs.String() })
		return notified(text)
	}
	e.publish("team.x", `{"n": 1}`)
	if got := waitFor("team 1"); !slices.Equal(got, []string{"ann@example.com"}) {
		t.Fatalf("before the change the team is %v", got)
	}

	text, err := os.ReadFile(e.cfg.File)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(text), "team: [ann@example.com]", "team: [bob@example.com]", 1)
	changed = strings.Replace(changed, "webhooks:\n", "webhooks:\n  billing:\n    auth: {type: none}\n", 1)
	changed = strings.Replace(changed, "nats:\n", "nats:\n  ack_wait: 45s\n", 1)
	writeFile(t, e.cfg.File, changed)
	writeFile(t, filepath.Join(e.dir, "people.csv"), "email\ncarl@example.com\n")
	eventually(t, e2eDeadline, func() bool { return strings.Contains(e.logs.String(), "configuration and rules reloaded") },
		func() string { return "the configuration change was not reloaded\n" + e.logs.String() })
	if !strings.Contains(e.logs.String(), "keys=nats.ack_wait") {
		t.Errorf("no warning naming nats.ack_wait as needing a restart:\n%s", e.logs.String())
	}
	e.publish("team.x", `{"n": 2}`)
	if got := waitFor("team 2"); !slices.Equal(got, []string{"bob@example.com"}) {
		t.Errorf("after the change the team is %v, want bob", got)
	}
	e.publish("people.x", `{"n": 3}`)
	if got := waitFor("people 3"); !slices.Equal(got, []string{"carl@example.com"}) {
		t.Errorf("after the dataset changed the people are %v, want carl", got)
	}
	if code, body := e.do("POST", "/hooks/billing", `{}`, http.Header{"Content-Type": {"application/json"}}); code != http.StatusAccepted {
		t.Errorf("POST /hooks/billing after the reload: %d %s, want 202", code, body)
	}

	writeFile(t, e.cfg.File, strings.Replace(changed, "team: [bob@example.com]", "team: []", 1))
	eventually(t, e2eDeadline, func() bool { return e.reloadMetric() == 0 },
		func() string { return "a broken configuration did not set korelay_config_last_reload_successful to 0" })
	e.publish("team.x", `{"n": 4}`)
	if got := waitFor("team 4"); !slices.Equal(got, []string{"bob@example.com"}) {
		t.Errorf("after a broken change the team is %v, want the last good bob", got)
	}
}

// A reload while a backlog is being delivered loses and repeats nothing:
// notifications already rendered go out as rendered, events evaluated
// after the reload use the new rules, and every identity is notified once.
func TestE2EReloadDuringDelivery(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eSpec{Rules: greetRules("v1", "greet.>"), Kore: "budget: {per_minute: 1200, per_hour: 18000}"})
	const events = 60
	var payloads []string
	for i := range events {
		payloads = append(payloads, fmt.Sprintf(`{"name": "n%02d", "email": "n%02d@example.com"}`, i, i))
	}
	e.publishAll("greet.all", payloads[:events/2])
	e.waitCalls(5) // a backlog waits for budget: the reload comes mid-delivery
	eventually(t, e2eDeadline, func() bool {
		n, _ := e.metric("korelay_rule_matches_total", `rule="greet"`)
		return n >= events/2
	}, func() string { return "the first events were not all evaluated" })
	writeFile(t, filepath.Join(e.dir, "rules.yaml"), greetRules("v2", "greet.>"))
	if err := e.svc.Reload(); err != nil {
		t.Fatal(err)
	}
	if n := len(e.notifyCalls()); n >= events/2 {
		t.Fatalf("all %d were sent before the reload; the test proves nothing", n)
	}
	e.publishAll("greet.all", payloads[events/2:])
	eventually(t, 30*time.Second, func() bool { return len(countIdentities(e.notifyCalls())) >= events },
		func() string { return fmt.Sprintf("%d of %d notified", len(countIdentities(e.notifyCalls())), events) })
	versions := map[string]int{}
	for _, c := range e.notifyCalls() {
		v, _, _ := strings.Cut(c.Notify.Message.Val, " ")
		versions[v]++
	}
	for id, n := range countIdentities(e.notifyCalls()) {
		if n != 1 {
			t.Errorf("%s notified %d times", id, n)
		}
	}
	if versions["v1"] != events/2 || versions["v2"] != events/2 {
		t.Errorf("texts by rule version %v: want %d rendered before the reload (v1) and %d after (v2)", versions, events/2, events/2)
	}
}

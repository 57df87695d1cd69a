package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/kore/koretest"
)

const everySecondRules = `
rules:
  - name: tick
    on: {cron: "*/1 * * * * *"}
    notify:
      channel: msteams
      groups: [team]
      text: "{{ .event.rule }} at {{ .event.scheduled }}"
`

const teamGroup = `
groups:
  team: [ann@example.com, bob@example.com, ann@example.com]
`

// scheduledOf returns the scheduled time a "tick at T" text carries.
func scheduledOf(t *testing.T, c koretest.Call) time.Time {
	t.Helper()
	rest, ok := strings.CutPrefix(c.Notify.Message.Val, "tick at ")
	if !ok {
		t.Fatalf("cron notification text %q, want \"tick at <RFC 3339>\"", c.Notify.Message.Val)
	}
	at, err := time.Parse(time.RFC3339, rest)
	if err != nil {
		t.Fatalf("cron notification text %q: %v", c.Notify.Message.Val, err)
	}
	return at
}

// A 6-field cron rule fires every second and reaches Kore with its group's
// identities (each once) and the rendered payload fields.
func TestE2ECronSixFieldsFires(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eSpec{Rules: everySecondRules, Extra: teamGroup})
	start := time.Now().Truncate(time.Second)

	calls := e.waitCalls(2)
	for _, c := range calls[:2] {
		if got := slices.Sorted(slices.Values(c.Notify.Identities)); !slices.Equal(got, []string{"ann@example.com", "bob@example.com"}) {
			t.Errorf("identities %v, want the team group once each", c.Notify.Identities)
		}
		if c.Notify.Channel != "msteams" || c.Notify.Message.Type != "text" {
			t.Errorf("channel %q message type %q, want msteams text", c.Notify.Channel, c.Notify.Message.Type)
		}
		at := scheduledOf(t, c)
		if at.Before(start) || at.After(time.Now()) || at.Location() != time.UTC || !at.Equal(at.Truncate(time.Second)) {
			t.Errorf("scheduled %s: want a whole second in UTC between %s and now", at, start)
		}
	}
	if a, b := scheduledOf(t, calls[0]), scheduledOf(t, calls[1]); a.Equal(b) {
		t.Errorf("two calls for the same scheduled time %s", a)
	}
}

// Two replicas on one NATS: each cron time reaches Kore once (the stream's
// duplicate window keeps one fire), and each NATS event is processed by one
// replica only.
func TestE2ETwoReplicasShareWork(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, err := broker.StartEmbedded(broker.EmbeddedOptions{Port: -1, StoreDir: t.TempDir(), ServerName: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	fake := koretest.Start(t)
	rules := everySecondRules + `
  - name: ping
    on: {nats: "pings.>"}
    notify: {channel: slack, to: event.email, text: "ping {{ .event.n }}"}
`
	spec := e2eSpec{Rules: rules, Extra: teamGroup, NATSURL: srv.ClientURL(), Fake: fake, Dir: dir}
	a := startE2E(t, spec)
	shared := a.broker()
	eventually(t, e2eDeadline, func() bool {
		n, err := shared.WaitingPulls(context.Background())
		return err == nil && n > 0
	}, func() string { return "the first replica pulling" })
	b := startE2E(t, spec)
	const pings = 30
	var payloads []string
	for i := range pings {
		payloads = append(payloads, fmt.Sprintf(`{"n": %d, "email": "p%02d@example.com"}`, i, i))
	}
	a.publishAll("pings.all", payloads)

	isTick := func(c koretest.Call) bool { return strings.HasPrefix(c.Notify.Message.Val, "tick at ") }
	eventually(t, e2eDeadline, func() bool {
		var ticks, pinged int
		for _, c := range fake.NotifyCalls() {
			if isTick(c) {
				ticks++
			} else {
				pinged += len(c.Notify.Identities)
			}
		}
		return ticks >= 4 && pinged >= pings
	}, func() string { return fmt.Sprintf("%d notify calls so far", len(fake.NotifyCalls())) })
	// Processed once across replicas: the event counters of both add up to
	// the events published (a duplicate would be evaluated twice even where
	// the ledger then suppressed its send).
	var processed float64
	for i, r := range []*e2e{a, b} {
		v, _ := r.metric("korelay_events_total", `source="nats"`, `outcome="matched"`)
		processed += v
		// Both replicas run the cron rule, so both publish every fire.
		if fired, _ := r.metric("korelay_events_total", `source="cron"`, `outcome="accepted"`); fired < 2 {
			t.Errorf("replica %d published %v cron fires, want ≥ 2 (is its cron trigger running?)", i, fired)
		}
	}
	a.stop()
	b.stop()

	perTime := map[time.Time]int{}
	pinged := map[string]int{}
	for _, c := range fake.NotifyCalls() {
		if isTick(c) {
			perTime[scheduledOf(t, c)]++
			continue
		}
		for _, id := range c.Notify.Identities {
			pinged[id]++
		}
	}
	for at, n := range perTime {
		if n != 1 {
			t.Errorf("scheduled time %s reached Kore %d times, want once", at.Format(time.RFC3339), n)
		}
	}
	if len(pinged) != pings {
		t.Errorf("%d distinct identities pinged, want %d", len(pinged), pings)
	}
	for id, n := range pinged {
		if n != 1 {
			t.Errorf("%s pinged %d times, want once", id, n)
		}
	}
	if processed != pings {
		t.Errorf("the replicas processed %v NATS events, want %d", processed, pings)
	}
}

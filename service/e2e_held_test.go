package service

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/journal"
	"github.com/korelay/korelay/kore/koretest"
)

// quietFor returns quiet hours (in UTC) that began an hour ago and end d
// from now, on a whole second, and when they end.
func quietFor(d time.Duration) (between string, end time.Time) {
	now := time.Now().UTC()
	end = now.Add(d).Truncate(time.Second).Add(time.Second)
	return now.Add(-time.Hour).Format("15:04:05") + "-" + end.Format("15:04:05"), end
}

// quietRules notify on people.> with quiet hours ending at the given
// between.
func quietRules(between string) string {
	return fmt.Sprintf(`
rules:
  - name: nightly
    on: {nats: "people.>"}
    notify: {channel: slack, to: event.email, text: "good morning"}
    quiet_hours: {between: %q, timezone: UTC}
`, between)
}

// sameTextPayloads are n events for n distinct identities.
func sameTextPayloads(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`{"email": "q%04d@example.com"}`, i)
	}
	return out
}

// waitHeld waits until korelay_held_notifications{kind} reads n.
func (e *e2e) waitHeld(kind string, n int) {
	e.t.Helper()
	eventually(e.t, e2eDeadline, func() bool {
		v, _ := e.metric("korelay_held_notifications", `kind="`+kind+`"`)
		return v == float64(n)
	}, func() string {
		v, _ := e.metric("korelay_held_notifications", `kind="`+kind+`"`)
		return fmt.Sprintf("korelay_held_notifications{kind=%q} = %v, want %d", kind, v, n)
	})
}

// A notification inside quiet hours is held, counted in
// korelay_held_notifications, and sent when the hours end, not before.
func TestE2EQuietHoursHoldUntilTheyEnd(t *testing.T) {
	t.Parallel()
	between, end := quietFor(4 * time.Second)
	e := startE2E(t, e2eSpec{Rules: quietRules(between)})
	e.publish("people.ann", `{"email": "ann@example.com"}`)
	e.waitHeld("quiet", 1)
	if n := len(e.notifyCalls()); n != 0 {
		t.Fatalf("%d notify calls inside quiet hours", n)
	}
	calls := e.waitCalls(1)
	if at := calls[0].Time; at.Before(end) {
		t.Errorf("sent at %s, before the quiet hours ended at %s", at.Format(time.RFC3339Nano), end.Format(time.RFC3339))
	}
	if got := calls[0].Notify.Identities; !slices.Equal(got, []string{"ann@example.com"}) {
		t.Errorf("sent to %v", got)
	}
	e.waitHeld("quiet", 0)
	time.Sleep(time.Second)
	if n := len(e.notifyCalls()); n != 1 {
		t.Errorf("%d notify calls, want 1", n)
	}
	// korelay explain tells the hold and the release.
	st := e.explainStory("korelay-1", func(st *journal.Story) bool { return len(st.Held) >= 2 })
	if h := st.Held; h[0].Kind != journal.KindHeld || !h[0].Until.Equal(end) || h[1].Kind != journal.KindReleased ||
		!strings.HasPrefix(h[1].Note, "sent, job ") {
		t.Errorf("held records %+v, want held until %s, then released and sent", h, end)
	}
}

// Held notifications are durable: a service killed while they are held
// loses none of them, and the one started after it on the same data_dir
// sends each once, in one call, when the quiet hours end.
func TestE2EQuietHoursSurviveACrash(t *testing.T) {
	t.Parallel()
	between, end := quietFor(6 * time.Second)
	fake := koretest.Start(t)
	spec := e2eSpec{DataDir: t.TempDir(), Fake: fake, Rules: quietRules(between), ShutdownTimeout: 100 * time.Millisecond}
	first := startE2E(t, spec)
	const events = 20
	first.publishAll("people.all", sameTextPayloads(events))
	first.waitHeld("quiet", events)
	first.crash()
	if time.Now().After(end) {
		t.Fatal("the quiet hours ended before the crash; the test proves nothing")
	}
	second := startE2E(t, spec)
	eventually(t, e2eDeadline, func() bool { return len(countIdentities(fake.NotifyCalls())) >= events },
		func() string {
			return fmt.Sprintf("%d of %d notified", len(countIdentities(fake.NotifyCalls())), events)
		})
	time.Sleep(time.Second)
	for id, n := range countIdentities(fake.NotifyCalls()) {
		if n != 1 {
			t.Errorf("%s notified %d times", id, n)
		}
	}
	if n := len(fake.NotifyCalls()); n != 1 {
		t.Errorf("%d notify calls, want the %d held identities in one", n, events)
	}
	if at := fake.NotifyCalls()[0].Time; at.Before(end) {
		t.Errorf("sent at %s, before the quiet hours ended at %s", at.Format(time.RFC3339Nano), end)
	}
	second.waitHeld("quiet", 0)
}

// Two replicas share the held notifications: the release happens once.
func TestE2EQuietHoursTwoReplicasReleaseOnce(t *testing.T) {
	t.Parallel()
	between, _ := quietFor(4 * time.Second)
	fake := koretest.Start(t)
	fleet := startReplicas(t, 2, fake, e2eSpec{Rules: quietRules(between)})
	const events = 40
	fleet[0].publishAll("people.all", sameTextPayloads(events))
	eventually(t, e2eDeadline, func() bool { return len(countIdentities(fake.NotifyCalls())) >= events },
		func() string {
			return fmt.Sprintf("%d of %d notified", len(countIdentities(fake.NotifyCalls())), events)
		})
	time.Sleep(1500 * time.Millisecond)
	for id, n := range countIdentities(fake.NotifyCalls()) {
		if n != 1 {
			t.Errorf("%s notified %d times", id, n)
		}
	}
	if n := len(fake.NotifyCalls()); n != 1 {
		t.Errorf("%d notify calls, want one release of %d identities", n, events)
	}
	releases := 0
	for _, e := range fleet {
		releases += strings.Count(e.logs.String(), "releasing held notifications")
	}
	if releases != 1 {
		t.Errorf("the slot was released %d times by the fleet, want once", releases)
	}
}

// 5,000 notifications of one text held overnight go out, when the quiet
// hours end, as 5 calls of 1,000 identities.
func TestE2EQuietHoursFiveThousandSameTextAreFiveCalls(t *testing.T) {
	t.Parallel()
	const events = 5000
	between, end := quietFor(10 * time.Second) // holding takes about 2 s with -race
	e := startE2E(t, e2eSpec{Rules: quietRules(between), LogLevel: slog.LevelWarn /* 5,000 held lines are noise */})
	begin := time.Now()
	e.publishAll("people.all", sameTextPayloads(events))
	eventually(t, 30*time.Second, func() bool {
		v, _ := e.metric("korelay_held_notifications", `kind="quiet"`)
		return v == events
	}, func() string {
		v, _ := e.metric("korelay_held_notifications", `kind="quiet"`)
		return fmt.Sprintf("%v of %d held", v, events)
	})
	t.Logf("%d notifications held in %s", events, time.Since(begin).Round(time.Millisecond))
	if time.Now().After(end) {
		t.Fatal("the quiet hours ended before every event was held; the test proves nothing")
	}
	if n := len(e.notifyCalls()); n != 0 {
		t.Fatalf("%d calls inside quiet hours", n)
	}
	eventually(t, 30*time.Second, func() bool { return len(countIdentities(e.notifyCalls())) >= events },
		func() string { return fmt.Sprintf("%d of %d notified", len(countIdentities(e.notifyCalls())), events) })
	time.Sleep(time.Second)
	calls := e.notifyCalls()
	if len(calls) != 5 {
		t.Errorf("%d notify calls, want 5", len(calls))
	}
	for _, c := range calls {
		if len(c.Notify.Identities) != 1000 {
			t.Errorf("a call of %d identities, want 1000", len(c.Notify.Identities))
		}
	}
	for id, n := range countIdentities(calls) {
		if n != 1 {
			t.Errorf("%s notified %d times", id, n)
		}
	}
}

// A digest collects a rule's notifications per identity over its period
// and sends one message per identity when the period ends.
func TestE2EDigestOfThreeEventsIsOneMessage(t *testing.T) {
	t.Parallel()
	const period = 4 * time.Second
	e := startE2E(t, e2eSpec{Rules: `
rules:
  - name: shipped
    on: {nats: "orders.*.shipped"}
    notify: {channel: slack, to: event.email, text: "{{ .event.id }}"}
    digest:
      every: 4s
      text: "{{ .count }} orders shipped: {{ range $i, $e := .items }}{{ if $i }}, {{ end }}{{ .text }} ({{ .event.item }}){{ end }}"
`})
	// Start right after a period begins, so that the events share one.
	if left := time.Until(time.Now().Truncate(period).Add(period)); left < 2*time.Second {
		time.Sleep(left + 100*time.Millisecond)
	}
	e.publish("orders.eu.shipped", `{"id": 42, "email": "ann@example.com", "item": "tea"}`)
	e.publish("orders.eu.shipped", `{"id": 43, "email": "ann@example.com", "item": "cups"}`)
	e.publish("orders.us.shipped", `{"id": 44, "email": "ann@example.com", "item": "pot"}`)
	e.publish("orders.us.shipped", `{"id": 45, "email": "bob@example.com", "item": "lid"}`)
	e.waitHeld("digest", 4)
	if n := len(e.notifyCalls()); n != 0 {
		t.Fatalf("%d notify calls before the period ended", n)
	}
	e.waitCalls(2)
	time.Sleep(time.Second)
	texts := map[string]string{}
	for _, c := range e.notifyCalls() {
		for _, id := range c.Notify.Identities {
			if texts[id] != "" {
				t.Errorf("%s got a second message: %q", id, c.Notify.Message.Val)
			}
			texts[id] = c.Notify.Message.Val
		}
	}
	want := map[string]string{
		"ann@example.com": "3 orders shipped: 42 (tea), 43 (cups), 44 (pot)",
		"bob@example.com": "1 orders shipped: 45 (lid)",
	}
	if fmt.Sprint(texts) != fmt.Sprint(want) {
		t.Errorf("digests = %v, want %v", texts, want)
	}
	e.waitHeld("digest", 0)
}

// An event that comes back while its notification is held (here: replayed
// under its own id, as `korelay dlq replay` does) is held once and sent
// once; coming back after the release, it is found in the ledger.
func TestE2EQuietHoursEventBackWhileHeldIsSentOnce(t *testing.T) {
	t.Parallel()
	between, _ := quietFor(4 * time.Second)
	e := startE2E(t, e2eSpec{Rules: quietRules(between)})
	e.publish("people.ann", `{"email": "ann@example.com"}`)
	e.waitHeld("quiet", 1)
	id := heldEventID(t, e)
	replay := func() {
		t.Helper()
		msg := nats.NewMsg(broker.ReplaySubjectPrefix + "people.ann")
		msg.Data = []byte(`{"email": "ann@example.com"}`)
		msg.Header.Set(broker.HeaderReplayOf, id)
		if _, err := e.jetstream().PublishMsg(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
	}
	replay()
	eventually(t, e2eDeadline, func() bool { return strings.Count(e.logs.String(), `msg=held event_id=`+id) == 2 },
		func() string { return "the replayed event was not evaluated\n" + e.logs.String() })
	if n := e.heldItems(); n != 1 {
		t.Errorf("%d items held after the event came back, want 1", n)
	}
	e.waitCalls(1)
	replay() // after the release: outside quiet hours, sent at once, and suppressed
	eventually(t, e2eDeadline, func() bool {
		v, _ := e.metric("korelay_notifications_total", `rule="nightly"`, `outcome="duplicate"`)
		return v >= 1
	}, func() string { return "the event replayed after the release was not suppressed\n" + e.logs.String() })
	if n := countIdentities(e.notifyCalls())["ann@example.com"]; n != 1 {
		t.Errorf("ann notified %d times, want once", n)
	}
}

// heldEventID is the event id of the first "held" log line.
func heldEventID(t *testing.T, e *e2e) string {
	t.Helper()
	_, rest, ok := strings.Cut(e.logs.String(), "msg=held event_id=")
	if !ok {
		t.Fatal("no held log line")
	}
	id, _, _ := strings.Cut(rest, " ")
	return id
}

// heldItems counts the items in the held stream now.
func (e *e2e) heldItems() int {
	e.t.Helper()
	s, err := e.jetstream().Stream(e.t.Context(), broker.DefaultHeldStream)
	if err != nil {
		e.t.Fatal(err)
	}
	info, err := s.Info(e.t.Context(), jetstream.WithSubjectFilter("korelay.held.items.>"))
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, c := range info.State.Subjects {
		n += int(c)
	}
	return n
}

// Without JetStream, quiet hours hold in memory (with a warning at start)
// and still release when they end.
func TestE2EQuietHoursInCoreNATSMode(t *testing.T) {
	t.Parallel()
	between, end := quietFor(2 * time.Second)
	e := startE2E(t, e2eSpec{NATS: "jetstream: false", Rules: quietRules(between)})
	if !strings.Contains(e.logs.String(), "kept in memory and lost on a restart") {
		t.Errorf("no warning that held notifications are kept in memory:\n%s", e.logs.String())
	}
	nc, err := nats.Connect(e.svc.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.Publish("people.ann", []byte(`{"email": "ann@example.com"}`)); err != nil {
		t.Fatal(err)
	}
	if calls := e.waitCalls(1); calls[0].Time.Before(end) {
		t.Errorf("sent at %s, before the quiet hours ended at %s", calls[0].Time, end)
	}
}

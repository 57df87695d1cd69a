package service

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/kore/koretest"
)

// peopleCSV is a dataset of n people, p0000@example.com onwards.
func peopleCSV(n int) string {
	var b strings.Builder
	b.WriteString("email,name\n")
	for i := range n {
		fmt.Fprintf(&b, "p%04d@example.com,P%d\n", i, i)
	}
	return b.String()
}

// checkBroadcast checks that calls carry exactly want identities, each
// once, in calls of the given sizes (any order), all with text.
func checkBroadcast(t *testing.T, calls []koretest.Call, text string, want []string, sizes ...int) {
	t.Helper()
	var got []int
	for _, c := range calls {
		got = append(got, len(c.Notify.Identities))
		if c.Notify.Message.Val != text {
			t.Errorf("call text %q, want %q", c.Notify.Message.Val, text)
		}
	}
	slices.Sort(got)
	slices.Sort(sizes)
	if !slices.Equal(got, sizes) {
		t.Errorf("call sizes %v, want %v", got, sizes)
	}
	ids := identitiesOf(calls)
	slices.Sort(ids)
	if !slices.Equal(ids, want) {
		t.Errorf("identities: got %d (%d distinct), want the %d expected each once",
			len(ids), len(slices.Compact(slices.Clone(ids))), len(want))
	}
}

// A message for 2500 identities costs exactly 3 calls of 1000/1000/500,
// whether the identities come from one `to` list or from for_each.
func TestE2EBroadcastIsChunkedBy1000(t *testing.T) {
	t.Parallel()
	const text = "Maintenance tonight at 22:00."
	var want []string
	for i := range 2500 {
		want = append(want, fmt.Sprintf("p%04d@example.com", i))
	}
	for name, rule := range map[string]string{
		"to list":  "notify: {channel: msteams, to: 'map(data.people, #.email)', text: '" + text + "'}",
		"for_each": "for_each: data.people\n    notify: {channel: msteams, to: item.email, text: '" + text + "'}",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := startE2E(t, e2eSpec{
				Files: map[string]string{"people.csv": peopleCSV(2500)},
				Extra: "datasets: {people: people.csv}\n",
				Rules: "rules:\n  - name: broadcast\n    on: {nats: maintenance}\n    " + rule + "\n",
			})
			e.publish("maintenance", `{}`)
			eventually(t, e2eDeadline, func() bool { return len(identitiesOf(e.notifyCalls())) >= 2500 },
				func() string { return fmt.Sprintf("%d identities notified", len(identitiesOf(e.notifyCalls()))) })
			checkBroadcast(t, e.notifyCalls(), text, want, 1000, 1000, 500)
		})
	}
}

const alertRules = `
rules:
  - name: incident
    on: {nats: "incidents.>"}
    notify: {channel: slack, to: event.email, text: "The incident is resolved."}
`

// 40 events with the same text, published at once, coalesce: with
// batch_window 1s into at most 2 calls, and with a budget of 60 calls a
// minute (1 a second, burst 3) into a handful; all 40 identities, each once.
func TestE2ESameTextEventsCoalesce(t *testing.T) {
	t.Parallel()
	var want, payloads []string
	for i := range 40 {
		id := fmt.Sprintf("u%02d@example.com", i)
		want = append(want, id)
		payloads = append(payloads, `{"email": "`+id+`"}`)
	}
	slices.Sort(want)
	for _, tc := range []struct {
		name, kore string
		maxCalls   int
	}{
		{"batch_window 1s", "batch_window: 1s", 2},
		{"budget 60 a minute", "budget: {per_minute: 60, per_hour: 3600}", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := startE2E(t, e2eSpec{Rules: alertRules, Kore: tc.kore})
			e.publishAll("incidents.db", payloads)
			eventually(t, e2eDeadline, func() bool { return len(identitiesOf(e.notifyCalls())) >= 40 },
				func() string { return fmt.Sprintf("%d identities notified", len(identitiesOf(e.notifyCalls()))) })
			calls := e.notifyCalls()
			var sizes []int
			for _, c := range calls {
				sizes = append(sizes, len(c.Notify.Identities))
			}
			if len(calls) > tc.maxCalls {
				t.Errorf("%d calls of sizes %v, want at most %d", len(calls), sizes, tc.maxCalls)
			} else {
				t.Logf("%d calls of sizes %v", len(calls), sizes)
			}
			ids := identitiesOf(calls)
			slices.Sort(ids)
			if !slices.Equal(ids, want) {
				t.Errorf("identities %v, want each of the 40 once", ids)
			}
		})
	}
}

// notifyAttempts returns every notify call the fake received, refused or not.
func notifyAttempts(k *koretest.Server) []koretest.Call {
	var out []koretest.Call
	for _, c := range k.Calls() {
		if c.Endpoint == kore.EndpointNotify {
			out = append(out, c)
		}
	}
	return out
}

// A 429 with Retry-After: 1 is retried once after the wait; nothing is
// dead-lettered.
func TestE2ERateLimitedCallIsRetriedAfterRetryAfter(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eSpec{Rules: alertRules})
	e.kore.FailNext(1, koretest.Failure{Endpoint: kore.EndpointNotify, Status: 429, RetryAfter: "1"})

	e.publish("incidents.web", `{"email": "ann@example.com"}`)
	e.waitCalls(1)
	eventually(t, e2eDeadline, func() bool {
		v, _ := e.metric("korelay_notifications_total", `rule="incident"`, `outcome="sent"`)
		return v == 1
	}, func() string { return "the notification was not settled as sent" })

	attempts := notifyAttempts(e.kore)
	if len(attempts) != 2 || attempts[0].Status != 429 || !attempts[1].Accepted() {
		var s []int
		for _, c := range attempts {
			s = append(s, c.Status)
		}
		t.Fatalf("notify calls answered %v, want [429 200]", s)
	}
	if wait := attempts[1].Time.Sub(attempts[0].Time); wait < 950*time.Millisecond {
		t.Errorf("retried %s after the 429, want ≥ 1s (Retry-After: 1)", wait)
	}
	if got := attempts[1].Notify.Identities; !slices.Equal(got, []string{"ann@example.com"}) {
		t.Errorf("retried identities %v", got)
	}
	if dls, err := e.broker().DeadLetters(context.Background(), broker.DLQFilter{}); err != nil || len(dls) != 0 {
		t.Errorf("dead letters %+v (err %v), want none", dls, err)
	}
	if v, ok := e.metric("korelay_dead_letters_total"); ok {
		t.Errorf("korelay_dead_letters_total = %v, want none", v)
	}
}

// A 400 from Kore is permanent: the notification is dead-lettered at once
// with Kore's answer, counted, and a replay after the fix sends it once.
func TestE2EPermanentFailureIsDeadLetteredThenReplayed(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eSpec{Rules: alertRules})
	e.kore.FailNext(1, koretest.Failure{Endpoint: kore.EndpointNotify, Status: 400, Body: `{"errors":[{"msg":"bad identity","code":400}]}`})
	b := e.broker()
	ctx := context.Background()

	e.publish("incidents.web", `{"email": "ann@example.com"}`)
	dls := waitDeadLetters(t, e, "incident", 1)
	if len(dls) != 1 {
		t.Fatalf("%d dead letters, want 1: %+v", len(dls), dls)
	}
	dl := dls[0]
	if dl.Reason != "permanent" || dl.Channel != "slack" || !slices.Equal(dl.Identities, []string{"ann@example.com"}) ||
		!strings.Contains(dl.Response, "bad identity") || dl.EventID == "" || dl.Subject != "incidents.web" {
		t.Errorf("dead letter %+v: want reason permanent, channel slack, ann@example.com, Kore's answer, the event", dl)
	}
	e.waitMetric("korelay_dead_letters_total", 1, `rule="incident"`, `reason="permanent"`)
	if n := len(e.notifyCalls()); n != 0 {
		t.Fatalf("Kore accepted %d calls before the replay", n)
	}
	if n := len(notifyAttempts(e.kore)); n != 1 {
		t.Errorf("%d notify attempts, want 1 (a 400 is not retried)", n)
	}

	n, err := b.Replay(ctx, broker.DLQFilter{Rule: "incident"})
	if err != nil || n != 1 {
		t.Fatalf("Replay = %d, %v; want 1 event", n, err)
	}
	calls := e.waitCalls(1)
	if got := calls[0].Notify.Identities; !slices.Equal(got, []string{"ann@example.com"}) || calls[0].Notify.Message.Val != "The incident is resolved." {
		t.Errorf("replayed call %+v", calls[0].Notify)
	}
	eventually(t, e2eDeadline, func() bool {
		v, _ := e.metric("korelay_notifications_total", `rule="incident"`, `outcome="sent"`)
		return v == 1
	}, func() string { return "the replayed notification was not settled as sent" })
	if n := len(e.notifyCalls()); n != 1 {
		t.Errorf("Kore accepted %d calls after the replay, want 1", n)
	}
	if dls, err := b.DeadLetters(ctx, broker.DLQFilter{}); err != nil || len(dls) != 0 {
		t.Errorf("dead letters after replay: %+v (err %v), want none", dls, err)
	}
}

// Two messages of one rule and event to the same identity that Kore both
// refuses are two dead letters, each saying which message was not sent.
func TestE2EDeadLettersOfDistinctMessagesAreKept(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eSpec{Rules: `
rules:
  - name: items
    on: {nats: "items.>"}
    for_each: event.items
    notify: {channel: slack, to: event.email, text: "item {{ .item }}"}
`})
	fail := koretest.Failure{Endpoint: kore.EndpointNotify, Status: 400, Body: `{"errors":[{"msg":"no","code":400}]}`}
	e.kore.FailNext(2, fail)
	e.publish("items.new", `{"email": "ann@example.com", "items": ["a", "b"]}`)
	eventually(t, e2eDeadline, func() bool {
		v, _ := e.metric("korelay_dead_letters_total", `rule="items"`, `reason="permanent"`)
		return v == 2
	}, func() string { return "the two refused notifications were not dead-lettered" })
	dls := waitDeadLetters(t, e, "items", 2)
	var msgs []string
	for _, d := range dls {
		msgs = append(msgs, d.MessageType+":"+d.Message)
	}
	if slices.Sort(msgs); !slices.Equal(msgs, []string{"text:item a", "text:item b"}) {
		t.Errorf("dead letters carry messages %q, want text:item a and text:item b", msgs)
	}
}

// An event keeps its id for life: two rules on one subject, one sent and
// one dead-lettered (its template failed), and a replay after the fix sends
// only the second rule's notification; the ledger knows the first was sent
// for this event.
func TestE2EReplayAfterPartialSendSendsOnlyWhatFailed(t *testing.T) {
	t.Parallel()
	const twoRules = `
rules:
  - name: first
    on: {nats: "orders.>"}
    notify: {channel: slack, to: event.email, text: "first {{ .event.id }}"}
  - name: second
    on: {nats: "orders.>"}
    notify: {channel: slack, to: event.email, text: "second {{ .event.%s }}"}
`
	e := startE2E(t, e2eSpec{Rules: fmt.Sprintf(twoRules, "missing")})
	b := e.broker()
	ctx := context.Background()
	e.publish("orders.new", `{"id": 42, "email": "ann@example.com"}`)
	dls := waitDeadLetters(t, e, "second", 1)
	if len(dls) != 1 {
		t.Fatalf("%d dead letters of the second rule, want 1: %+v", len(dls), dls)
	}
	e.waitCalls(1)
	eventID := dls[0].EventID

	writeFile(t, e.dir+"/rules.yaml", fmt.Sprintf(twoRules, "id"))
	if err := e.svc.Reload(); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Replay(ctx, broker.DLQFilter{EventID: eventID}); err != nil || n != 1 {
		t.Fatalf("Replay = %d, %v; want 1 event", n, err)
	}
	eventually(t, e2eDeadline, func() bool {
		v, _ := e.metric("korelay_notifications_total", `rule="second"`, `outcome="sent"`)
		return v == 1
	}, func() string { return "the replayed event's second rule was not sent\n" + e.logs.String() })
	eventually(t, e2eDeadline, func() bool {
		v, _ := e.metric("korelay_notifications_total", `rule="first"`, `outcome="duplicate"`)
		return v == 1
	}, func() string { return "the first rule's notification was not suppressed by the ledger" })
	var texts []string
	for _, c := range e.notifyCalls() {
		texts = append(texts, c.Notify.Message.Val)
	}
	if slices.Sort(texts); !slices.Equal(texts, []string{"first 42", "second 42"}) {
		t.Errorf("Kore received %q, want first 42 and second 42 once each", texts)
	}
	if !strings.Contains(e.logs.String(), "event_id="+eventID+" rule=first key=event:"+eventID) {
		t.Errorf("the suppression is not logged with rule, event id and key:\n%s", e.logs.String())
	}
}

// A replayed event that fails again the same way, at once, is dead-lettered
// again: it keeps its event id, but its new dead letter is not taken for
// the one the replay removed.
func TestE2EReplayThatFailsAgainIsDeadLetteredAgain(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eSpec{Rules: `
rules:
  - name: broken
    on: {nats: "orders.>"}
    notify: {channel: slack, to: event.email, text: "{{ .event.missing }}"}
`})
	b := e.broker()
	ctx := context.Background()
	e.publish("orders.new", `{"email": "ann@example.com"}`)
	letters := func() []broker.DeadLetter {
		dls, err := b.DeadLetters(ctx, broker.DLQFilter{Rule: "broken"})
		if err != nil {
			t.Fatal(err)
		}
		return dls
	}
	eventually(t, e2eDeadline, func() bool { return len(letters()) == 1 }, func() string { return "no dead letter" })
	first := letters()[0]
	for i := range 2 {
		if n, err := b.Replay(ctx, broker.DLQFilter{EventID: first.EventID}); err != nil || n != 1 {
			t.Fatalf("replay %d = %d, %v; want 1 event", i+1, n, err)
		}
		eventually(t, e2eDeadline, func() bool {
			dls := letters()
			return len(dls) == 1 && dls[0].Seq != first.Seq
		}, func() string {
			return fmt.Sprintf("after replay %d: dead letters %+v, want one new letter", i+1, letters())
		})
		if got := letters()[0]; got.EventID != first.EventID || got.Reason != "render" {
			t.Errorf("after replay %d: dead letter %+v, want event %s, reason render", i+1, got, first.EventID)
		}
		first = letters()[0]
	}
}

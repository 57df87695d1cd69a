package service

import (
	"fmt"
	"testing"
	"time"

	"github.com/korelay/korelay/kore/koretest"
)

// The service stopped hard in the middle of a stream of events and started
// again on the same data_dir (the embedded NATS store: stream, consumer
// and idempotency ledger) notifies every identity, and none twice.
func TestE2ERestartMidStreamLosesAndRepeatsNothing(t *testing.T) {
	t.Parallel()
	const events = 300
	fake := koretest.Start(t)
	spec := e2eSpec{
		DataDir: t.TempDir(),
		Fake:    fake,
		// One call per event (distinct texts), about 100 a second.
		Kore: "budget: {per_minute: 6000, per_hour: 360000}",
		// Events in flight when the first service dies come back quickly.
		NATS:            "ack_wait: 2s",
		ShutdownTimeout: 100 * time.Millisecond,
		Rules: `
rules:
  - name: job-done
    on: {nats: "jobs.*.done"}
    notify: {channel: slack, to: event.email, text: "Job {{ .event.n }} is done."}
`,
	}
	first := startE2E(t, spec)
	var payloads []string
	for i := range events {
		payloads = append(payloads, fmt.Sprintf(`{"n": %d, "email": "u%03d@example.com"}`, i, i))
	}
	first.publishAll("jobs.batch.done", payloads)
	first.waitCalls(50)
	first.stop()
	sent := len(fake.NotifyCalls())
	if sent >= events {
		t.Fatalf("all %d events were sent before the stop; the test proves nothing", sent)
	}
	t.Logf("%d of %d sent before the stop", sent, events)

	second := startE2E(t, spec)
	eventually(t, 30*time.Second, func() bool { return len(countIdentities(fake.NotifyCalls())) >= events },
		func() string {
			return fmt.Sprintf("%d of %d identities notified", len(countIdentities(fake.NotifyCalls())), events)
		})
	// Let redeliveries of events the first service had in flight settle.
	eventually(t, 30*time.Second, func() bool {
		v, _ := second.metric("korelay_events_total", `source="nats"`, `outcome="matched"`)
		return v >= float64(events-sent)
	}, func() string { return "the second service did not process the rest" })
	if dup, ok := second.metric("korelay_notifications_total", `outcome="duplicate"`); ok {
		t.Logf("the ledger suppressed %v identities after the restart", dup)
	}
	for id, n := range countIdentities(fake.NotifyCalls()) {
		if n != 1 {
			t.Errorf("%s notified %d times, want once", id, n)
		}
	}
	if n := len(fake.NotifyCalls()); n != events {
		t.Errorf("%d notify calls, want %d (one per event)", n, events)
	}
}

// A stop while a call is at Kore waits for it: Run returns only after Kore
// answered and the ledger recorded it, even past the shutdown timeout, so
// the event (handed back to the stream) is not sent again after a restart.
func TestE2EStopWaitsForCallsAtKore(t *testing.T) {
	t.Parallel()
	fake := koretest.Start(t)
	spec := e2eSpec{
		DataDir: t.TempDir(), Fake: fake, NATS: "ack_wait: 1s",
		ShutdownTimeout: 100 * time.Millisecond,
		Rules: `
rules:
  - name: slow
    on: {nats: "slow.>"}
    notify: {channel: slack, to: event.email, text: "slow {{ .event.n }}"}
`,
	}
	first := startE2E(t, spec)
	fake.FailNext(1, koretest.Failure{Delay: 1500 * time.Millisecond}) // answered normally, late
	first.publish("slow.x", `{"n": 1, "email": "ann@example.com"}`)
	time.Sleep(300 * time.Millisecond) // the call is at Kore now
	begin := time.Now()
	first.stop()
	if took := time.Since(begin); took < time.Second {
		t.Errorf("Run returned %s after the stop, before Kore answered the call in flight", took)
	}
	if n := len(fake.NotifyCalls()); n != 1 {
		t.Fatalf("Kore accepted %d calls, want 1", n)
	}
	second := startE2E(t, spec)
	eventually(t, e2eDeadline, func() bool {
		v, _ := second.metric("korelay_notifications_total", `rule="slow"`, `outcome="duplicate"`)
		return v == 1
	}, func() string { return "the redelivered event was not found in the ledger\n" + second.logs.String() })
	if n := len(fake.NotifyCalls()); n != 1 {
		t.Errorf("Kore accepted %d calls after the restart, want 1", n)
	}
}

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

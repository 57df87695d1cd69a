package service

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/korelay/korelay/kore/koretest"
)

// BenchmarkPipeline measures korelay end to end in one process: an event
// published to JetStream, consumed, evaluated, checked against the ledger,
// sent to a fake Kore and acknowledged. One op is one matching event (one
// personalised notification). The fake Kore runs in the same process, so
// its cost (JWT checks, JSON) is included; bench/ measures korelay alone.
func BenchmarkPipeline(b *testing.B) {
	e := startE2E(b, e2eSpec{
		Rules: `rules:
  - name: order-paid
    on: {nats: "orders.*.created"}
    when: event.status == "paid"
    notify:
      channel: slack
      to: event.customer.email
      text: "Hi {{ .event.customer.name }}, order {{ .event.id }} is confirmed."
`,
		Kore:        "budget: {per_minute: 100000000, per_hour: 1000000000}",
		KoreOptions: []koretest.Option{koretest.WithLimits(0, 0)},
		LogLevel:    slog.LevelWarn,
	})
	payloads := make([]string, b.N)
	for i := range payloads {
		payloads[i] = fmt.Sprintf(`{"id": %d, "status": "paid", "customer": {"name": "N%d", "email": "u%d@example.com"}}`,
			1000000000000000000+i, i, i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	e.publishAll("orders.eu.created", payloads)
	// Poll a counter, not the fake's call log, which is copied on each read.
	eventually(b, time.Minute, func() bool {
		n, _ := e.metric("korelay_notifications_total", `outcome="sent"`)
		return int(n) >= b.N
	}, func() string { return "every event notified" })
}

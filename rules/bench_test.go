package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchRules writes n rules: one bound to the benchmark's subject, the
// others to other subjects (a tenth of them wildcard patterns).
func benchRules(b *testing.B, n int) *Set {
	b.Helper()
	var sb strings.Builder
	sb.WriteString("rules:\n")
	for i := range n - 1 {
		subject := fmt.Sprintf("orders.r%d.updated", i)
		if i%10 == 0 {
			subject = fmt.Sprintf("billing.r%d.*", i)
		}
		fmt.Fprintf(&sb, "  - {name: rule-%d, on: {nats: %q}, when: 'event.status == \"shipped\"', notify: {channel: slack, to: event.email, text: \"Order {{ .event.id }} shipped\"}}\n", i, subject)
	}
	sb.WriteString("  - {name: match, on: {nats: orders.eu.shipped}, when: 'event.status == \"shipped\"', notify: {channel: slack, to: event.email, text: \"Order {{ .event.id }} shipped\"}}\n")
	path := filepath.Join(b.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	s, err := Load([]string{path}, testEnv(b))
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func BenchmarkEvaluate(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			s := benchRules(b, n)
			ev := &Event{ID: "bench-1", Source: SourceNATS, Trigger: "orders.eu.shipped", Payload: map[string]any{
				"id": 1234567890123456789, "status": "shipped", "email": "ann@example.com"}}
			if res := s.Evaluate(ev); len(res.Notifications) != 1 || res.Notifications[0].Message != "Order 1234567890123456789 shipped" {
				b.Fatalf("Evaluate = %+v", res)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				s.Evaluate(ev)
			}
		})
	}
}

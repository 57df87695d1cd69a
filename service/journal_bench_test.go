package service

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/config"
	"github.com/korelay/korelay/journal"
	"github.com/korelay/korelay/rules"
)

type nopSink struct{}

func (nopSink) Write(int, int, []byte) error { return nil }
func (nopSink) Flush(context.Context) error  { return nil }

// BenchmarkJournalEvent is the journal's cost of one matched, sent event
// (evaluated, one call, settled), as in the load harness's orders scenario,
// and of one event that matched no rule (evaluated only: nomatch).
func BenchmarkJournalEvent(b *testing.B) {
	b.Run("on", func(b *testing.B) { benchJournalEvent(b, false, "paid") })
	b.Run("off", func(b *testing.B) { benchJournalEvent(b, true, "paid") })
	b.Run("nomatch", func(b *testing.B) { benchJournalEvent(b, false, "pending") })
	b.Run("nomatch-off", func(b *testing.B) { benchJournalEvent(b, true, "pending") })
}

func benchJournalEvent(b *testing.B, off bool, status string) {
	dir := b.TempDir()
	writeFile(b, dir+"/rules.yaml", `rules:
  - name: order-confirmed
    on: {nats: "orders.*.created"}
    when: event.status == "paid"
    notify: {channel: slack, to: event.customer.email, text: "Hi {{ .event.customer.name }}, order {{ .event.id }} is confirmed."}
`)
	cfg, err := config.Parse(dir+"/k.yaml", []byte("rules: [rules.yaml]\n"), func(string) (string, bool) { return "", false })
	if err != nil {
		b.Fatal(err)
	}
	set, err := LoadRules(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	j := &eventJournal{mem: journal.NewMemory(0, nil)}
	j.w = journal.NewWriter(journal.WriterOptions{Sink: nopSink{}, Memory: j.mem, Buffer: 1 << 16})
	j.w.Start()
	data := []byte(`{"id": 1000000000000000001, "status": "` + status + `", "customer": {"name": "Ann", "email": "ann@example.com"}}`)
	i := 0
	for b.Loop() {
		i++
		m := broker.Msg{EventID: fmt.Sprint("korelay-", i), Subject: "orders.eu.created", Data: data, NumDelivered: 1, Sequence: uint64(i)}
		ev := rules.Event{ID: m.EventID, Source: rules.SourceNATS, Trigger: m.Subject, Time: time.Now(),
			Payload: map[string]any{"status": status, "id": "1000000000000000001", "customer": map[string]any{"name": "Ann", "email": "ann@example.com"}}}
		res := set.Evaluate(&ev)
		if off {
			continue
		}
		j.evaluated(m, &ev, set, &res)
		if len(res.Notifications) == 0 {
			continue
		}
		j.call(delivery.CallRecord{Seq: uint64(i), Start: time.Now(), Channel: "slack", Identities: 1, JobID: "ds-1",
			Result: delivery.CallAccepted, Items: []delivery.CallItem{{Rule: "order-confirmed", EventID: m.EventID, Identities: 1, Attempt: 1}}})
		outs := []delivery.Outcome{{Rule: "order-confirmed", Channel: "slack", EventID: m.EventID, DedupKey: "event:" + m.EventID,
			MessageType: "text", Message: res.Notifications[0].Message, Identities: res.Notifications[0].Identities,
			Status: delivery.StatusSent, JobID: "ds-1", Attempts: 1}}
		j.settled(m, res.Notifications, outs)
	}
	if err := j.close(); err != nil {
		b.Fatal(err)
	}
}

package journal

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// appendRecord writes what encoding/json reads back as the same Record.
func TestAppendRecordRoundTrips(t *testing.T) {
	t0 := time.Date(2027, 3, 1, 9, 0, 0, 123456789, time.UTC)
	recs := []Record{
		{Kind: KindEvaluated, EventID: "korelay-1", Time: t0, Delivery: &Delivery{Attempt: 1},
			Trigger: &Trigger{Source: "webhook", Name: "orders", Subject: "korelay.webhook.orders", Schedule: "@daily (UTC)",
				Received: t0, Size: 300, Preview: "{\"a\": \"\\\"quoted\\\"\"}\n\t\x01 é 😀 \u2028 <b>&"},
			Rules: []RuleResult{{Rule: "a", Result: ResultMatched, Notifications: 2}, {Rule: "b", Result: ResultRenderError, Error: "rule b: bad"}},
			Notifications: []Notification{{Rule: "a", Channel: "slack", Mode: "live", Identities: 12,
				Sample: []string{"x@example.com", "y"}, DedupKey: "event:korelay-1"}}},
		{Kind: KindSettled, EventID: "e", Time: t0, Delivery: &Delivery{Seq: 9, Attempt: 2, Replayed: true},
			Outcomes: []Outcome{{Notification: 0, Rule: "a", Channel: "slack", Status: StatusDeadLettered, Identities: 1,
				Sample: []string{"x"}, DedupKey: "k", JobID: "ds-1", Attempts: 3, Reason: "exhausted", Error: "gave up"}}},
		{Kind: KindCall, EventID: "e", Time: t0, Call: &Call{Seq: 4, Rule: "a", Channel: "msteams", Attempt: 1,
			Identities: 3, CallIdentities: 1000, Code: 429, JobID: "", Result: CallRetry, Error: "429",
			RetryAfter: 2 * time.Second, Duration: 15 * time.Millisecond}},
		{Kind: KindHeld, EventID: "e", Time: t0, Held: &Held{Rule: "q", Channel: "slack", Identities: 1,
			Sample: []string{"a"}, Until: t0.Add(time.Hour), Digest: "1h", Note: "quiet hours"}},
		{Kind: KindInterrupted, EventID: "e", Time: t0, Error: "closed"},
	}
	for _, want := range recs {
		line := appendRecord(nil, &want, nil, nil)
		var got Record
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip of %s\n got %+v\nwant %+v", line, got, want)
		}
	}
}

func BenchmarkAppendRecord(b *testing.B) {
	t0 := time.Now()
	r := Record{Kind: KindEvaluated, EventID: "korelay-123456", Time: t0, Delivery: &Delivery{Seq: 123456, Attempt: 1},
		Trigger:       &Trigger{Source: "nats", Name: "orders.eu.created", Received: t0, Size: 180, Preview: `{"id": 1000000000000000001, "status": "paid", "customer": {"name": "Ann", "email": "ann@example.com"}}`},
		Rules:         []RuleResult{{Rule: "order-confirmed", Result: ResultMatched, Notifications: 1}},
		Notifications: []Notification{{Rule: "order-confirmed", Channel: "slack", Mode: "live", Identities: 1, Sample: []string{"ann@example.com"}, DedupKey: "event:korelay-123456"}}}
	var buf []byte
	var tc timeCache
	for b.Loop() {
		buf = appendRecord(buf[:0], &r, &tc, nil)
	}
}

// The time cache formats exactly as time.RFC3339Nano, whatever the zone,
// the fraction and the order of the times.
func TestTimeCacheFormatsAsRFC3339Nano(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	base := time.Date(2026, 3, 29, 0, 59, 59, 0, time.UTC) // Berlin changes to summer time at 01:00 UTC
	var c timeCache
	for i, t0 := range []time.Time{
		base, base.Add(123456789), base.Add(100 * time.Millisecond), base.Add(time.Second + 1),
		base.In(berlin), base.Add(time.Second).In(berlin), base.Add(time.Second + 5000).In(berlin),
		base.In(time.FixedZone("x", -(3*3600 + 1800))), base.In(time.FixedZone("y", 0)), base.Add(999999999),
		base.Local(), time.Date(999, 1, 2, 3, 4, 5, 6, time.UTC), base, base.Add(-time.Hour * 24 * 400).Add(10),
	} {
		want := t0.AppendFormat(nil, time.RFC3339Nano)
		if got := c.appendRFC3339Nano(nil, t0); string(got) != string(want) {
			t.Errorf("time %d: %s, want %s", i, got, want)
		}
	}
}

// FuzzPreview checks that a record's preview written from the payload
// reads back as Preview's.
func FuzzPreview(f *testing.F) {
	for _, s := range []string{"", `{"a": "b"}`, "a\xff\xfeb", strings.Repeat("é", 100), "\x00\x1f\"\\"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		r := Record{Kind: KindEvaluated, EventID: "e", Trigger: &Trigger{Source: "nats", Name: "a", Size: len(payload)}}
		var back Record
		if err := json.Unmarshal(appendRecord(nil, &r, nil, payload), &back); err != nil {
			t.Fatal(err)
		}
		if want := Preview(payload); back.Trigger.Preview != want {
			t.Fatalf("preview of %q reads %q, want %q", payload, back.Trigger.Preview, want)
		}
	})
}

// Writing the record of an event already in the memory allocates nothing:
// the record and what it points to stay on the caller's stack (a record
// of a new event copies its id into the memory). Escape analysis decides
// this; the test says when a change makes records escape again.
func TestWriteAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops buffers")
	}
	w := NewWriter(WriterOptions{Sink: nopSink{}, Memory: NewMemory(0, nil), FlushEvery: time.Hour})
	payload := []byte(`{"id": 1, "status": "paid"}`)
	write := func() {
		d := Delivery{Seq: 1, Attempt: 1}
		tr := Trigger{Source: "nats", Name: "orders.eu.created", Size: len(payload)}
		var rules [2]RuleResult
		rec := Record{Kind: KindEvaluated, EventID: "korelay-1", Time: time.Unix(1, 0), Delivery: &d, Trigger: &tr,
			Rules: append(rules[:0], RuleResult{Rule: "paid", Result: ResultWhenFalse})}
		w.Write(&rec, payload)
	}
	write() // the event enters the memory; the queue's buffers grow
	for range 10 {
		w.flushQueued(true)
		write()
	}
	w.flushQueued(true)
	if n := testing.AllocsPerRun(100, func() { write(); w.flushQueued(true) }); n != 0 {
		t.Errorf("Write allocates %.1f times a record, want 0", n)
	}
}

type nopSink struct{}

func (nopSink) Write(int, int, []byte) error { return nil }
func (nopSink) Flush(context.Context) error  { return nil }

// sizeSink records the size and record count of each write.
type sizeSink struct{ sizes, records []int }

func (s *sizeSink) Write(_ int, n int, data []byte) error {
	s.sizes = append(s.sizes, len(data))
	s.records = append(s.records, n)
	return nil
}

func (s *sizeSink) Flush(context.Context) error { return nil }

// TestKickWritesOnlyFullBatches: a flush woken by many waiting lines
// writes only the shards' batches that filled up, never every shard's
// few lines; the timed flush writes the rest, so every record is written
// once.
func TestKickWritesOnlyFullBatches(t *testing.T) {
	sink := &sizeSink{}
	w := NewWriter(WriterOptions{Sink: sink, FlushEvery: time.Hour, Buffer: 1 << 20})
	const events = 6000
	for i := range events {
		d := Delivery{Seq: uint64(i), Attempt: 1}
		rec := Record{Kind: KindEvaluated, EventID: fmt.Sprintf("korelay-%d", i), Time: time.Unix(1, 0), Delivery: &d}
		w.Write(&rec, nil)
	}
	w.flushQueued(false)
	if len(sink.sizes) == 0 {
		t.Fatal("a kick with every shard's batch full wrote nothing")
	}
	for i, n := range sink.sizes {
		if n < maxMessage {
			t.Errorf("kick write %d: %d bytes, want a full batch (%d)", i, n, maxMessage)
		}
	}
	kicked := len(sink.sizes)
	w.flushQueued(true)
	if len(sink.sizes) <= kicked {
		t.Error("the timed flush wrote nothing of what the kick left")
	}
	total := 0
	for _, n := range sink.records {
		total += n
	}
	if total != events {
		t.Errorf("%d records written, want %d", total, events)
	}
}

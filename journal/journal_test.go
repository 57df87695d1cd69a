package journal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/korelay/korelay/journal"
)

// fakeSink records what the Writer writes, by shard.
type fakeSink struct {
	mu     sync.Mutex
	writes map[int][][]journal.Record
	fail   bool
}

func (s *fakeSink) Write(shard, n int, data []byte) error {
	if s.fail {
		return fmt.Errorf("refused")
	}
	var recs []journal.Record
	for line := range strings.Lines(string(data)) {
		var r journal.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return fmt.Errorf("bad line %s: %v", line, err)
		}
		if journal.ShardOf(r.EventID) != shard {
			return fmt.Errorf("event %s written to shard %d", r.EventID, shard)
		}
		recs = append(recs, r)
	}
	if len(recs) != n {
		return fmt.Errorf("%d records said, %d written", n, len(recs))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.writes == nil {
		s.writes = map[int][][]journal.Record{}
	}
	s.writes[shard] = append(s.writes[shard], recs)
	return nil
}

func (s *fakeSink) Flush(context.Context) error { return nil }

// write hands rec to w.
func write(w *journal.Writer, rec journal.Record) { w.Write(&rec, nil) }

// remember keeps recs in m, as a Writer that stores nothing else does.
func remember(m *journal.Memory, recs ...journal.Record) {
	w := journal.NewWriter(journal.WriterOptions{Memory: m})
	for _, rec := range recs {
		write(w, rec)
	}
}

func evaluated(id string, at time.Time, rules ...journal.RuleResult) journal.Record {
	return journal.Record{Kind: journal.KindEvaluated, EventID: id, Time: at,
		Delivery: &journal.Delivery{Seq: 7, Attempt: 1},
		Trigger:  &journal.Trigger{Source: "webhook", Name: "orders", Received: at, Size: 2, Preview: "{}"},
		Rules:    rules}
}

// The Writer batches one message per shard, and Close writes what was
// added before it. (200 records stay under the size that flushes early.)
func TestWriterBatchesPerShard(t *testing.T) {
	sink := &fakeSink{}
	w := journal.NewWriter(journal.WriterOptions{Sink: sink, FlushEvery: time.Hour})
	w.Start()
	now := time.Now()
	counts := map[int]int{}
	for i := range 200 {
		id := fmt.Sprint("korelay-", i%100)
		write(w, evaluated(id, now))
		counts[journal.ShardOf(id)]++
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for shard, n := range counts {
		if got := sink.writes[shard]; len(got) != 1 || len(got[0]) != n {
			t.Errorf("shard %d: %d writes, want one of %d records", shard, len(got), n)
		}
	}
	if len(counts) < journal.Shards*3/4 {
		t.Errorf("100 ids fell in %d shards", len(counts))
	}
}

// A full buffer or a failing sink drops records and says how many; Add
// never blocks.
func TestWriterDropsAndCounts(t *testing.T) {
	var mu sync.Mutex
	dropped := map[string]int{}
	onDrop := func(reason string, n int) { mu.Lock(); dropped[reason] += n; mu.Unlock() }
	w := journal.NewWriter(journal.WriterOptions{Sink: &fakeSink{fail: true}, Buffer: 2, OnDrop: onDrop})
	for range 5 { // not started: the buffer of 2 fills
		write(w, evaluated("e-1", time.Now()))
	}
	w.Start()
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if dropped[journal.DropFull] != 3 || dropped[journal.DropFailed] != 2 {
		t.Errorf("dropped %v, want full 3 and failed 2", dropped)
	}
}

func TestBuildTellsTheStory(t *testing.T) {
	t0 := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	d := &journal.Delivery{Seq: 7, Attempt: 1}
	recs := []journal.Record{
		{Kind: journal.KindSettled, EventID: "e", Time: t0.Add(2 * time.Second), Delivery: d,
			Outcomes: []journal.Outcome{{Notification: 0, Rule: "a", Status: journal.StatusSent, Identities: 1, JobID: "ds-1"}}},
		{Kind: journal.KindCall, EventID: "e", Time: t0.Add(time.Second),
			Call: &journal.Call{Rule: "a", Result: journal.CallAccepted, JobID: "ds-1"}},
		evaluated("e", t0, journal.RuleResult{Rule: "a", Result: journal.ResultMatched, Notifications: 1},
			journal.RuleResult{Rule: "b", Result: journal.ResultWhenFalse}),
	}
	recs[2].Notifications = []journal.Notification{{Rule: "a", Channel: "slack", Identities: 1}}
	st := journal.Build("e", recs, nil)
	if st.Outcome != journal.OutcomeSent || len(st.Evaluations) != 1 || len(st.Calls) != 1 ||
		st.Evaluations[0].Outcomes[0].JobID != "ds-1" || st.Trigger.Name != "orders" {
		t.Errorf("story = %+v", st)
	}
	st = journal.Build("e", recs[2:], []journal.DeadLetter{{Rule: "a", Reason: "permanent"}})
	if st.Outcome != journal.OutcomeDeadLettered {
		t.Errorf("with a dead letter, outcome = %q", st.Outcome)
	}
	if journal.Build("e", nil, nil) != nil {
		t.Error("Build of nothing is not nil")
	}
}

func TestMemoryKeepsTheLatestEvents(t *testing.T) {
	now := time.Now()
	m := journal.NewMemory(3, func() time.Time { return now })
	for i := range 5 {
		remember(m, evaluated(fmt.Sprint("e-", i), now,
			journal.RuleResult{Rule: "a", Result: journal.ResultMatched})) // no notifications: nothing to send
	}
	var ids []string
	for _, s := range m.Recent(10) {
		ids = append(ids, s.EventID)
		if s.Outcome != journal.OutcomeNothingToSend || !slices.Equal(s.Matched, []string{"a"}) {
			t.Errorf("%s: %+v", s.EventID, s)
		}
	}
	if !slices.Equal(ids, []string{"e-4", "e-3", "e-2"}) {
		t.Errorf("Recent = %v, want the newest 3, newest first", ids)
	}
	if m.Records("e-0") != nil || len(m.Records("e-4")) != 1 {
		t.Error("Records: the oldest should be forgotten, the newest kept")
	}
	if got := m.Matches()["a"]; got != [2]int{5, 5} {
		t.Errorf("Matches[a] = %v, want 5 in the hour and in 5 minutes", got)
	}
}

// A new event takes over the forgotten one's room: it starts empty, and
// records handed out before stay as they were.
func TestMemoryReusesTheForgottenEventsRoom(t *testing.T) {
	now := time.Now()
	m := journal.NewMemory(2, func() time.Time { return now })
	add := func(id string, n int) {
		for i := range n {
			remember(m, journal.Record{Kind: journal.KindCall, EventID: id, Time: now.Add(time.Duration(i))})
		}
	}
	add("a", 3)
	add("b", 1)
	before := m.Records("a")
	add("c", 1) // forgets a
	add("d", 2) // forgets b
	add("e", 1) // forgets c
	if got := m.Records("a"); got != nil {
		t.Errorf("Records(a) after it was forgotten = %v", got)
	}
	for id, want := range map[string]int{"d": 2, "e": 1} {
		recs := m.Records(id)
		if len(recs) != want {
			t.Errorf("Records(%s) has %d records, want %d: %+v", id, len(recs), want, recs)
		}
		for _, r := range recs {
			if r.EventID != id {
				t.Errorf("Records(%s) holds a record of %s", id, r.EventID)
			}
		}
	}
	if len(before) != 3 || before[0].EventID != "a" || before[2].EventID != "a" {
		t.Errorf("records of a handed out earlier changed: %+v", before)
	}
}

// Records written to the journal stream are read back by event id; an id
// that is not a subject token is hashed into one.
func TestStreamRoundTrip(t *testing.T) {
	nc := journal.ConnectJetStream(t)
	ctx := context.Background()
	js, _ := jetstream.New(nc)
	if _, err := journal.OpenReader(ctx, js); err == nil {
		t.Fatal("OpenReader before the stream exists: no error")
	}
	if _, err := journal.EnsureStream(ctx, js, journal.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	sink, err := journal.NewStreamSink(nc, func(int) { t.Error("a write failed") })
	if err != nil {
		t.Fatal(err)
	}
	w := journal.NewWriter(journal.WriterOptions{Sink: sink, FlushEvery: time.Millisecond})
	w.Start()
	ids := []string{"korelay-1", "core.weird id>", "korelay-2"}
	for _, id := range ids {
		write(w, evaluated(id, time.Now()))
	}
	write(w, evaluated("korelay-1", time.Now()))
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := journal.OpenReader(ctx, js)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]int{"korelay-1": 2, "core.weird id>": 1, "korelay-2": 1, "korelay-3": 0} {
		recs, err := r.Records(ctx, id)
		if err != nil || len(recs) != want {
			t.Errorf("Records(%q) = %d records, %v; want %d", id, len(recs), err, want)
		}
	}
}

// Write encodes a record at once: changing it afterwards changes nothing
// written. A trigger without a preview gets the payload's; the memory of
// the latest events keeps the record too. Lines waiting beyond the
// flush's size are written before the next tick.
func TestWriterWriteEncodesAtOnce(t *testing.T) {
	sink := &fakeSink{}
	mem := journal.NewMemory(0, nil)
	w := journal.NewWriter(journal.WriterOptions{Sink: sink, Memory: mem, FlushEvery: time.Hour})
	w.Start()
	now := time.Now().UTC()
	payload := []byte(`{"id": 1, "note": "` + strings.Repeat("x", 200) + `"}`)
	rec := evaluated("korelay-1", now, journal.RuleResult{Rule: "a", Result: journal.ResultWhenFalse})
	rec.Trigger.Preview = ""
	rec.Trigger.Size = len(payload)
	w.Write(&rec, payload)
	rec.Rules[0].Rule, rec.Trigger.Name = "changed", "changed"
	want := journal.Preview(payload)
	if !strings.HasSuffix(want, "…") || len(want) != journal.PreviewBytes+len("…") {
		t.Fatalf("Preview = %q", want)
	}
	got := mem.Records("korelay-1")
	if len(got) != 1 || got[0].Trigger.Preview != want || got[0].Trigger.Name != "orders" || got[0].Rules[0].Rule != "a" {
		t.Fatalf("memory keeps %+v", got)
	}
	// A burst larger than a flush's worth is written without waiting for
	// the (hour-long) tick.
	big := evaluated("korelay-2", now)
	big.Error = strings.Repeat("e", 1000)
	for range 200 {
		w.Write(&big, nil)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		sink.mu.Lock()
		n := 0
		for _, batches := range sink.writes {
			for _, b := range batches {
				n += len(b)
			}
		}
		sink.mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a burst of lines waited for the tick")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var first *journal.Record
	for _, batches := range sink.writes {
		for _, b := range batches {
			for i := range b {
				if b[i].EventID == "korelay-1" {
					first = &b[i]
				}
			}
		}
	}
	if first == nil || first.Trigger.Preview != want || first.Rules[0].Rule != "a" {
		t.Errorf("written: %+v", first)
	}
}

// Write drops, and counts, what does not fit the lines waiting.
func TestWriterWriteDropsWhenFull(t *testing.T) {
	var dropped int
	w := journal.NewWriter(journal.WriterOptions{Sink: &fakeSink{}, Buffer: 1, FlushEvery: time.Hour,
		OnDrop: func(reason string, n int) {
			if reason == journal.DropFull {
				dropped += n
			}
		}})
	rec := evaluated("korelay-1", time.Now())
	rec.Error = strings.Repeat("e", 150) // one line fits Buffer 1's 512 bytes, two do not
	w.Write(&rec, nil)
	w.Write(&rec, nil)
	if dropped != 1 {
		t.Errorf("dropped %d, want 1", dropped)
	}
}

func TestPreview(t *testing.T) {
	long := strings.Repeat("a", journal.PreviewBytes)
	cut := strings.Repeat("a", journal.PreviewBytes-1) + "é" // the rune crosses the limit
	for _, tc := range []struct{ payload, want string }{
		{"", ""},
		{`{"a": "b\n\t\"c\\"}`, `{"a": "b\n\t\"c\\"}`},
		{long, long},
		{long + "b", long + "…"},
		{cut, strings.Repeat("a", journal.PreviewBytes-1) + "\uFFFD"},
		{"a\xff\xfeb", "a\uFFFDb"},
		{"\x01ü\x7f", "\x01ü\x7f"},
	} {
		if got := journal.Preview([]byte(tc.payload)); got != tc.want {
			t.Errorf("Preview(%q) = %q, want %q", tc.payload, got, tc.want)
		}
	}
}

// Write may be called from many goroutines while the memory is read;
// Close writes every record written before it.
func TestWriterWriteConcurrently(t *testing.T) {
	sink := &fakeSink{}
	mem := journal.NewMemory(50, nil)
	w := journal.NewWriter(journal.WriterOptions{Sink: sink, Memory: mem, FlushEvery: time.Millisecond})
	w.Start()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				rec := evaluated(fmt.Sprint("korelay-", g, "-", i), time.Now(), journal.RuleResult{Rule: "a", Result: journal.ResultMatched})
				w.Write(&rec, []byte(`{"i": 1}`))
			}
		})
	}
	wg.Go(func() {
		for range 200 {
			_ = mem.Recent(10)
			_ = mem.Records("korelay-1-1")
			_ = mem.Matches()
		}
	})
	wg.Wait()
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, batches := range sink.writes {
		for _, b := range batches {
			n += len(b)
		}
	}
	if n != 4000 {
		t.Errorf("%d records written, want 4000", n)
	}
	if got := mem.Matches()["a"]; got[0] != 4000 {
		t.Errorf("matches of a = %v, want 4000 in the hour", got)
	}
}

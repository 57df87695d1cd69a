package broker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestDeadLettersListAndFilter(t *testing.T) {
	b, _ := setup(t, Options{})
	ctx := context.Background()
	letters := []DeadLetter{
		{EventID: "korelay-1", Rule: "order-shipped", Reason: "permanent", Identities: []string{"ann@example.com"}},
		{EventID: "korelay-1", Rule: "order-audit", Reason: "permanent"},
		{EventID: "korelay-2", Rule: "order-shipped", Reason: "exhausted"},
		{EventID: "korelay-3", Reason: "undecodable", Error: "bad json"},
	}
	for _, d := range letters {
		if err := b.DeadLetter(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	// The same dead letter written twice (a redelivered event) is kept once.
	if err := b.DeadLetter(ctx, letters[0]); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		filter DLQFilter
		want   []string // event:rule of each result, in order
	}{
		{"all", DLQFilter{}, []string{"korelay-1:order-shipped", "korelay-1:order-audit", "korelay-2:order-shipped", "korelay-3:"}},
		{"by rule", DLQFilter{Rule: "order-shipped"}, []string{"korelay-1:order-shipped", "korelay-2:order-shipped"}},
		{"no rule", DLQFilter{Rule: NoRule}, []string{"korelay-3:"}},
		{"by event", DLQFilter{EventID: "korelay-1"}, []string{"korelay-1:order-shipped", "korelay-1:order-audit"}},
		{"rule and event", DLQFilter{Rule: "order-audit", EventID: "korelay-1"}, []string{"korelay-1:order-audit"}},
		{"event and other rule", DLQFilter{Rule: "order-audit", EventID: "korelay-2"}, nil},
		{"unknown event", DLQFilter{EventID: "korelay-99"}, nil},
		{"unknown rule", DLQFilter{Rule: "nope"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := b.DeadLetters(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, d := range got {
				keys = append(keys, d.EventID+":"+d.Rule)
				if d.Seq == 0 || d.Time.IsZero() {
					t.Errorf("dead letter without sequence or time: %+v", d)
				}
			}
			if strings.Join(keys, ",") != strings.Join(tt.want, ",") {
				t.Errorf("DeadLetters(%+v) = %v, want %v", tt.filter, keys, tt.want)
			}
		})
	}
	for _, f := range []DLQFilter{{Rule: "a.b"}, {Rule: "a>"}} {
		if _, err := b.DeadLetters(ctx, f); err == nil {
			t.Errorf("DeadLetters(%+v) accepted an invalid filter", f)
		}
	}
}

func TestReplay(t *testing.T) {
	b, _ := setup(t, Options{Subjects: []string{"orders.>"}})
	ctx := context.Background()
	h, got := collect(ack)
	consume(t, b, h)

	hdr := nats.Header{"Trace": {"t1"}, jetstream.MsgIDHeader: {"orig-1"}}
	id := publish(t, b, "orders.eu.updated", `{"id":7}`, hdr)
	m := receive(t, got, 5*time.Second)
	// Two rules fail on the event; another event fails too.
	for _, rule := range []string{"order-shipped", "order-audit"} {
		d := DeadLetter{EventID: m.EventID, Rule: rule, Reason: "permanent", Subject: m.Subject, Header: m.Header, Data: m.Data}
		if err := b.DeadLetter(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.DeadLetter(ctx, DeadLetter{EventID: "korelay-99", Rule: "order-shipped", Reason: "permanent", Subject: "orders.x", Data: []byte("{}")}); err != nil {
		t.Fatal(err)
	}

	n, err := b.Replay(ctx, DLQFilter{EventID: id})
	if err != nil || n != 1 {
		t.Fatalf("Replay = %d, %v; want 1 event", n, err)
	}
	r := receive(t, got, 5*time.Second)
	if r.Subject != "orders.eu.updated" || string(r.Data) != `{"id":7}` || r.Header.Get("Trace") != "t1" ||
		r.Header.Get(HeaderReplayOf) != id || !strings.HasPrefix(r.Header.Get(jetstream.MsgIDHeader), "replay:") || r.EventID != id || !r.Replayed {
		t.Errorf("replayed delivery %+v", r)
	}
	expectNone(t, got, 300*time.Millisecond) // replayed once, not once per rule
	left, err := b.DeadLetters(ctx, DLQFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].EventID != "korelay-99" {
		t.Errorf("dead letters left after replay: %+v", left)
	}
	if n, err := b.Replay(ctx, DLQFilter{EventID: id}); n != 0 || err != nil {
		t.Errorf("second Replay = %d, %v; want 0, nil", n, err)
	}
}

func TestReplayWithoutEventKeepsDeadLetter(t *testing.T) {
	b, _ := setup(t, Options{})
	ctx := context.Background()
	if err := b.DeadLetter(ctx, DeadLetter{EventID: "korelay-5", Rule: "r", Reason: "permanent"}); err != nil {
		t.Fatal(err)
	}
	n, err := b.Replay(ctx, DLQFilter{})
	if n != 0 || err == nil || !strings.Contains(err.Error(), "no event stored") {
		t.Errorf("Replay = %d, %v; want an error naming the missing event", n, err)
	}
	if left, _ := b.DeadLetters(ctx, DLQFilter{}); len(left) != 1 {
		t.Errorf("dead letter removed although it could not be replayed")
	}
}

func TestDrop(t *testing.T) {
	letters := []DeadLetter{
		{EventID: "korelay-1", Rule: "order-shipped", Reason: "permanent"},
		{EventID: "korelay-1", Rule: "order-audit", Reason: "permanent"},
		{EventID: "korelay-2", Rule: "order-shipped", Reason: "exhausted"},
		{EventID: "korelay-3", Reason: "decode"},
	}
	tests := []struct {
		name    string
		filter  DLQFilter
		dropped int
		left    []string // event:rule of the dead letters left, in order
	}{
		{"by event", DLQFilter{EventID: "korelay-1"}, 2, []string{"korelay-2:order-shipped", "korelay-3:"}},
		{"by event and rule", DLQFilter{EventID: "korelay-1", Rule: "order-audit"}, 1,
			[]string{"korelay-1:order-shipped", "korelay-2:order-shipped", "korelay-3:"}},
		{"by rule", DLQFilter{Rule: "order-shipped"}, 2, []string{"korelay-1:order-audit", "korelay-3:"}},
		{"without rule", DLQFilter{Rule: NoRule}, 1, []string{"korelay-1:order-shipped", "korelay-1:order-audit", "korelay-2:order-shipped"}},
		{"nothing matches", DLQFilter{EventID: "korelay-9"}, 0,
			[]string{"korelay-1:order-shipped", "korelay-1:order-audit", "korelay-2:order-shipped", "korelay-3:"}},
		{"everything", DLQFilter{}, 4, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := setup(t, Options{})
			ctx := context.Background()
			for _, d := range letters {
				if err := b.DeadLetter(ctx, d); err != nil {
					t.Fatal(err)
				}
			}
			n, err := b.Drop(ctx, tt.filter)
			if err != nil || n != tt.dropped {
				t.Fatalf("Drop(%+v) = %d, %v; want %d", tt.filter, n, err, tt.dropped)
			}
			left, err := b.DeadLetters(ctx, DLQFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, d := range left {
				keys = append(keys, d.EventID+":"+d.Rule)
			}
			if strings.Join(keys, ",") != strings.Join(tt.left, ",") {
				t.Errorf("left %v, want %v", keys, tt.left)
			}
		})
	}
}

func TestDLQFilterIsZero(t *testing.T) {
	if !(DLQFilter{}).IsZero() || (DLQFilter{Rule: "r"}).IsZero() || (DLQFilter{EventID: "e"}).IsZero() {
		t.Error("IsZero is true only for the filter that selects everything")
	}
}

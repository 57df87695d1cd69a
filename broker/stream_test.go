package broker

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestNewCreatesStreamsAndBuckets(t *testing.T) {
	b, nc := setup(t, Options{Subjects: []string{"orders.*.updated", "orders.eu.updated", "hr.>"}})
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	s, err := js.Stream(ctx, "KORELAY")
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	want := []string{WebhookSubjects, CronSubjects, ReplaySubjectPrefix + ">", "orders.*.updated", "hr.>"}
	if !slices.Equal(cfg.Subjects, want) || cfg.Duplicates != DefaultDuplicateWindow || cfg.MaxAge != DefaultMaxAge || cfg.Storage != jetstream.FileStorage {
		t.Errorf("ingest stream config: subjects %v dup %s age %s storage %s", cfg.Subjects, cfg.Duplicates, cfg.MaxAge, cfg.Storage)
	}
	c, err := js.Consumer(ctx, "KORELAY", DefaultConsumer)
	if err != nil {
		t.Fatal(err)
	}
	cc := c.CachedInfo().Config
	if cc.AckPolicy != jetstream.AckExplicitPolicy || cc.MaxDeliver != DefaultMaxDeliver || cc.MaxAckPending != DefaultMaxAckPending || len(cc.BackOff) == 0 || cc.AckWait != DefaultAckWait {
		t.Errorf("consumer config %+v", cc)
	}
	for _, name := range []string{"KORELAY_DLQ", "KV_KORELAY_LEDGER", "KV_KORELAY_CRON"} {
		if _, err := js.Stream(ctx, name); err != nil {
			t.Errorf("stream %s: %v", name, err)
		}
	}
	// A second New on the same server (a replica, or a restart) succeeds.
	newBroker(t, nc, Options{Subjects: []string{"hr.>"}})
	_ = b
}

func TestNewRejectsBadOptions(t *testing.T) {
	nc := connect(t, startServer(t))
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"short duplicate window", Options{DuplicateWindow: time.Minute}, "duplicate window"},
		{"max age below window", Options{MaxAge: time.Minute}, "max age"},
		{"invalid subject", Options{Subjects: []string{"orders..x"}}, "invalid subject"},
		{"external is own stream", Options{ExternalStream: DefaultStream}, "external stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(context.Background(), nc, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

func TestSubjectOverlapNamesOption(t *testing.T) {
	nc := connect(t, startServer(t))
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}}); err != nil {
		t.Fatal(err)
	}
	_, err := New(ctx, nc, Options{Subjects: []string{"orders.*.updated"}})
	if !errors.Is(err, ErrSubjectsOverlap) {
		t.Fatalf("New = %v, want ErrSubjectsOverlap", err)
	}
	for _, want := range []string{"nats.stream_from", "ORDERS", "orders.*.updated"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestExternalStream(t *testing.T) {
	nc := connect(t, startServer(t))
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}}); err != nil {
		t.Fatal(err)
	}
	// History from before korelay is not replayed: the consumer starts new.
	if _, err := js.Publish(ctx, "orders.0.updated", []byte("old")); err != nil {
		t.Fatal(err)
	}
	b := newBroker(t, nc, Options{ExternalStream: "ORDERS"}) // no NATS subjects yet
	h, got := collect(ack)
	consume(t, b, h)
	publish(t, b, "korelay.webhook.orders", "hook", nil)
	if m := receive(t, got, 5*time.Second); m.EventID != "korelay-1" {
		t.Errorf("webhook event %s, want korelay-1", m.EventID)
	}

	// A rule reload adds the operator subject: the consumer is created and
	// picked up by the running Consume.
	if err := b.UpdateSubjects(ctx, []string{"orders.*.updated"}); err != nil {
		t.Fatal(err)
	}
	for _, subject := range []string{"orders.1.created", "orders.1.updated"} {
		if _, err := js.Publish(ctx, subject, []byte("new")); err != nil {
			t.Fatal(err)
		}
	}
	m := receive(t, got, 5*time.Second)
	if m.Subject != "orders.1.updated" || m.Stream != "ORDERS" || m.EventID != "orders-3" || string(m.Data) != "new" {
		t.Errorf("external delivery %+v", m)
	}
	expectNone(t, got, 300*time.Millisecond)
	if n := streamMsgs(t, nc, "KORELAY"); n != 1 {
		t.Errorf("ingest stream holds %d messages, want only the webhook", n)
	}
}

func TestUpdateSubjects(t *testing.T) {
	b, nc := setup(t, Options{Subjects: []string{"orders.>"}})
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if _, err := js.Publish(ctx, "hr.joined", nil); !errors.Is(err, jetstream.ErrNoStreamResponse) {
		t.Fatalf("publish before update = %v, want no stream response", err)
	}
	if err := b.UpdateSubjects(ctx, []string{"orders.>", "hr.*"}); err != nil {
		t.Fatal(err)
	}
	ack, err := js.Publish(ctx, "hr.joined", nil)
	if err != nil || ack.Stream != "KORELAY" {
		t.Fatalf("publish after update = %v, %v", ack, err)
	}
	if err := b.UpdateSubjects(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "hr.joined", nil); err == nil {
		t.Error("subject still captured after it was removed")
	}
}

func TestNormalizeSubjects(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    []string
		wantErr bool
	}{
		{"distinct kept in order", []string{"b.*", "a.>"}, []string{"b.*", "a.>"}, false},
		{"duplicates once", []string{"a.b", "a.b"}, []string{"a.b"}, false},
		{"covered by wildcard", []string{"a.b.c", "a.*.c", "a.>"}, []string{"a.>"}, false},
		{"star does not cover gt", []string{"a.*", "a.>"}, []string{"a.>"}, false},
		{"gt needs a token", []string{"a", "a.>"}, []string{"a", "a.>"}, false},
		{"empty", nil, []string{}, false},
		{"empty token", []string{"a..b"}, nil, true},
		{"gt not last", []string{"a.>.b"}, nil, true},
		{"star inside a token is literal", []string{"a.b*", "a.*"}, []string{"a.*"}, false},
		{"space", []string{"a b"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := normalizeSubjects(tt.in)
			if (err != nil) != tt.wantErr || (!tt.wantErr && !slices.Equal(got, tt.want)) {
				t.Errorf("normalizeSubjects(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"a.>", "a.b.c", true},
		{"a.>", "a", false},
		{"a.>", "a.>", true},
		{"a.*", "a.b", true},
		{"a.*", "a.*", true},
		{"a.*", "a.>", false},
		{"a.*", "a.b.c", false},
		{"a.b", "a.*", false},
		{">", "x.y", true},
		{"a.*.c", "a.b.c", true},
		{"a.*", "a.b*", true},
		{"a.*x", "a.b", false},
	}
	for _, tt := range tests {
		if got := covers(tt.a, tt.b); got != tt.want {
			t.Errorf("covers(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

package broker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// An observer reads what the ingest stream captures through a consumer of
// its own and what no stream captures through plain subscriptions; it takes
// nothing from the durable consumer, follows subject changes, and hands its
// own events on in process without storing them.
func TestObserverTakesNothingAndFollowsSubjects(t *testing.T) {
	b, nc := setup(t, Options{Subjects: []string{"orders.>"}})
	o, err := NewObserver(context.Background(), nc, Options{Subjects: []string{"orders.>", "other.>"}})
	if err != nil {
		t.Fatal(err)
	}
	h, got := collect(ack)
	consumeUntilCleanup(t, o, h)
	time.Sleep(200 * time.Millisecond) // let the consumer and subscriptions register

	stored := publish(t, b, "orders.eu.new", `{"id":1}`, nil)
	m := receive(t, got, 5*time.Second)
	if m.EventID != stored || m.Subject != "orders.eu.new" || !m.LastAttempt || m.NumDelivered != 1 {
		t.Errorf("observed stream event %+v, want id %s, last attempt", m, stored)
	}
	if err := nc.Publish("other.x", []byte(`{"id":2}`)); err != nil {
		t.Fatal(err)
	}
	if m := receive(t, got, 5*time.Second); m.Subject != "other.x" || !strings.HasPrefix(m.EventID, "core-") {
		t.Errorf("observed plain event %+v", m)
	}
	id, err := o.Publish(context.Background(), &nats.Msg{Subject: "korelay.webhook.orders", Data: []byte("{}")})
	if err != nil || !strings.HasPrefix(id, DryRunEventPrefix) {
		t.Fatalf("Publish = %q, %v; want a dry-run id", id, err)
	}
	if m := receive(t, got, 5*time.Second); m.EventID != id {
		t.Errorf("own event delivered as %+v, want id %s", m, id)
	}
	if n := streamMsgs(t, nc, "KORELAY"); n != 1 {
		t.Errorf("stream holds %d events, want 1 (the observer's own event is not stored)", n)
	}

	if err := o.UpdateSubjects(context.Background(), []string{"orders.>", "third.>"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if err := nc.Publish("third.y", nil); err != nil {
		t.Fatal(err)
	}
	if m := receive(t, got, 5*time.Second); m.Subject != "third.y" {
		t.Errorf("after the update got %+v, want third.y", m)
	}
	stored2 := publish(t, b, "orders.us.new", `{"id":3}`, nil)
	if m := receive(t, got, 5*time.Second); m.EventID != stored2 {
		t.Errorf("after the update got %+v, want %s (and not %s again)", m, stored2, stored)
	}
	expectNone(t, got, 200*time.Millisecond)

	c, err := b.js.Consumer(context.Background(), "KORELAY", DefaultConsumer)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Delivered.Stream != 0 || info.NumPending != 2 {
		t.Errorf("durable consumer delivered up to %d with %d pending, want 0 and 2: the observer took events",
			info.Delivered.Stream, info.NumPending)
	}
}

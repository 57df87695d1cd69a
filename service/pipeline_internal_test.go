package service

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/metrics"
)

// gatedStore is a dead-letter store that holds every letter until
// released.
type gatedStore struct {
	entered chan struct{}
	release chan struct{}
}

func (g *gatedStore) DeadLetter(ctx context.Context, _ broker.DeadLetter) error {
	g.entered <- struct{}{}
	select {
	case <-g.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestDeliveredLeavesDeadLettersToAGoroutine checks that delivery's
// callback, which runs on the goroutine that receives the ledger's
// acknowledgements, returns at once when settling the event must store a
// dead letter (which waits for JetStream), and settles the event once it
// is stored; an event with nothing to store is settled before it returns.
func TestDeliveredLeavesDeadLettersToAGoroutine(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := metrics.New(prometheus.NewRegistry())
	store := &gatedStore{entered: make(chan struct{}, 1), release: make(chan struct{})}
	s := &Service{log: log, metrics: m}
	rt := &runtime{dead: &deadLetters{store: store, metrics: m, log: log}}
	settled := make(chan broker.Disposition, 2)
	ev := func() *eventDelivery {
		rt.handling.Add(1)
		return &eventDelivery{s: s, rt: rt, ctx: context.Background(), m: broker.Msg{EventID: "e1"},
			done: func(d broker.Disposition) { settled <- d }}
	}

	ev().delivered([]delivery.Outcome{{EventID: "e1", Rule: "r", Status: delivery.StatusSent, Identities: []string{"a"}}}, nil)
	select {
	case d := <-settled:
		if d != broker.Ack() {
			t.Errorf("sent event settled with %v, want an ack", d)
		}
	default:
		t.Fatal("an event with nothing to store was not settled before the callback returned")
	}

	returned := make(chan struct{})
	go func() {
		ev().delivered([]delivery.Outcome{{EventID: "e1", Rule: "r", Status: delivery.StatusDeadLetter, Reason: "permanent",
			Identities: []string{"b"}}}, nil)
		close(returned)
	}()
	<-store.entered
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("the callback waited for the dead-letter store")
	}
	select {
	case d := <-settled:
		t.Fatalf("event settled (%v) before its dead letter was stored", d)
	default:
	}
	close(store.release)
	select {
	case d := <-settled:
		if d != broker.Ack() {
			t.Errorf("dead-lettered event settled with %v, want an ack", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the dead-lettered event was never settled")
	}
	if n := rt.handling.Load(); n != 0 {
		t.Errorf("%d events still counted as being handled", n)
	}
}

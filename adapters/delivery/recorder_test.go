package delivery_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/rules"
)

// gatedLedger holds every Record until release is closed, and says when
// one is waiting.
type gatedLedger struct {
	spyLedger
	release chan struct{}
	waiting chan struct{}
	once    sync.Once
}

func (l *gatedLedger) Record(ctx context.Context, keys []string, ttl time.Duration) error {
	l.once.Do(func() { close(l.waiting) })
	<-l.release
	return l.spyLedger.Record(ctx, keys, ttl)
}

// TestRecordingDoesNotHoldTheSender: with one call in flight at most, the
// next call goes out while the ledger still stores the keys of the one
// before, and no delivery is settled as sent before its keys are stored.
func TestRecordingDoesNotHoldTheSender(t *testing.T) {
	f := &fakeKore{}
	l := &gatedLedger{release: make(chan struct{}), waiting: make(chan struct{})}
	e, stop := start(t, f, l, delivery.Options{Concurrency: 1})
	defer stop()
	var released sync.Once
	release := func() { released.Do(func() { close(l.release) }) }
	defer release() // before stop, which waits for the records

	type answer struct {
		outs []delivery.Outcome
		err  error
	}
	answers := make(chan answer, 2)
	for i, text := range []string{"first", "second"} {
		n := note("e"+text, "r", text, users(text, 1)...)
		go func() {
			outs, err := e.Deliver(context.Background(), []rules.Notification{n}, delivery.DeliverOptions{})
			answers <- answer{outs, err}
		}()
		if i == 0 {
			<-l.waiting // the first call was accepted; its keys are being stored
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(f.Calls()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls while the first call's keys were being stored, want 2: the sender waited for the ledger", len(f.Calls()))
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case a := <-answers:
		t.Fatalf("a delivery settled (%v, %v) before its keys were stored", a.outs, a.err)
	default:
	}
	release()
	for range 2 {
		a := <-answers
		if a.err != nil || len(a.outs) != 1 || a.outs[0].Status != delivery.StatusSent {
			t.Fatalf("after the ledger stored the keys: %v, %v; want one sent outcome", a.outs, a.err)
		}
	}
}

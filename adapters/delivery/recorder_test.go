package delivery_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/rules"
)

// heldLedger is a ledger whose records wait until release; waiting is
// closed when the first one does.
type heldLedger interface {
	delivery.Ledger
	waitingRecord() <-chan struct{}
	release()
}

// gatedLedger holds every Record until release is called.
type gatedLedger struct {
	spyLedger
	open    chan struct{}
	waiting chan struct{}
	first   sync.Once
	opened  sync.Once
}

func newGatedLedger() *gatedLedger {
	return &gatedLedger{open: make(chan struct{}), waiting: make(chan struct{})}
}

func (l *gatedLedger) Record(ctx context.Context, keys []string, ttl time.Duration) error {
	l.first.Do(func() { close(l.waiting) })
	<-l.open
	return l.spyLedger.Record(ctx, keys, ttl)
}

func (l *gatedLedger) waitingRecord() <-chan struct{} { return l.waiting }
func (l *gatedLedger) release()                       { l.opened.Do(func() { close(l.open) }) }

// asyncGatedLedger records asynchronously, as the JetStream ledger does:
// RecordAsync returns at once and its done is called on release (at once
// after it).
type asyncGatedLedger struct {
	spyLedger
	waiting chan struct{}
	first   sync.Once
	mu      sync.Mutex
	open    bool
	held    []func()
	flushes atomic.Int32 // FlushWrites calls
}

func newAsyncGatedLedger() *asyncGatedLedger {
	return &asyncGatedLedger{waiting: make(chan struct{})}
}

func (l *asyncGatedLedger) RecordAsync(keys []string, ttl time.Duration, done func(error)) {
	store := func() { done(l.spyLedger.Record(context.Background(), keys, ttl)) }
	l.mu.Lock()
	if !l.open {
		l.held = append(l.held, store)
		l.mu.Unlock()
		l.first.Do(func() { close(l.waiting) })
		return
	}
	l.mu.Unlock()
	store()
}

// FlushWrites counts the engine's requests to send held writes; the
// gate, not a linger, holds them here.
func (l *asyncGatedLedger) FlushWrites() { l.flushes.Add(1) }

func (l *asyncGatedLedger) waitingRecord() <-chan struct{} { return l.waiting }

func (l *asyncGatedLedger) release() {
	l.mu.Lock()
	held := l.held
	l.open, l.held = true, nil
	l.mu.Unlock()
	for _, store := range held {
		go store() // as the ledger's acknowledgement goroutine would
	}
}

// TestRecordingDoesNotHoldTheSender: with one call in flight at most, the
// next call goes out while the ledger still stores the keys of the one
// before, and no delivery is settled as sent before its keys are stored,
// whether the ledger records synchronously (on the recorder's workers) or
// asynchronously (settled from its acknowledgement).
func TestRecordingDoesNotHoldTheSender(t *testing.T) {
	for name, newLedger := range map[string]func() heldLedger{
		"sync":  func() heldLedger { return newGatedLedger() },
		"async": func() heldLedger { return newAsyncGatedLedger() },
	} {
		t.Run(name, func(t *testing.T) {
			f := &fakeKore{}
			l := newLedger()
			e, stop := start(t, f, l, delivery.Options{Concurrency: 1})
			defer stop()
			defer l.release() // before stop, which waits for the records

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
					<-l.waitingRecord() // the first call was accepted; its keys are being stored
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
			l.release()
			for range 2 {
				a := <-answers
				if a.err != nil || len(a.outs) != 1 || a.outs[0].Status != delivery.StatusSent {
					t.Fatalf("after the ledger stored the keys: %v, %v; want one sent outcome", a.outs, a.err)
				}
			}
		})
	}
}

// TestShutdownWaitsForAsynchronousRecords: Run returns only after the
// keys of every call Kore accepted were stored, also when the ledger
// stores them asynchronously, so a graceful stop repeats nothing.
func TestShutdownWaitsForAsynchronousRecords(t *testing.T) {
	f := &fakeKore{}
	l := newAsyncGatedLedger()
	e, err := delivery.New(f, l, delivery.Options{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- e.Run(ctx) }()
	n := note("e1", "r", "hello", users("u", 1)...)
	e.DeliverAsync(context.Background(), []rules.Notification{n}, delivery.DeliverOptions{}, func([]delivery.Outcome, error) {})
	<-l.waitingRecord()
	cancel()
	select {
	case err := <-ran:
		t.Fatalf("Run returned (%v) while an accepted call's keys were still being stored", err)
	case <-time.After(100 * time.Millisecond):
	}
	l.release()
	if err := <-ran; err != nil {
		t.Fatalf("Run: %v", err)
	}
	l.spyLedger.mu.Lock()
	got := len(l.ttls)
	l.spyLedger.mu.Unlock()
	if got != 1 {
		t.Errorf("%d records stored by the time Run returned, want 1", got)
	}
}

// TestCallsAwaitingRecordsAreBounded: while the ledger stores nothing, the
// calls at Kore and the accepted ones awaiting their record stay under
// twice the concurrency (what a crash could repeat); once records land,
// the held calls go out.
func TestCallsAwaitingRecordsAreBounded(t *testing.T) {
	f := &fakeKore{}
	l := newAsyncGatedLedger()
	e, stop := start(t, f, l, delivery.Options{Concurrency: 1})
	defer stop()
	defer l.release()
	done := make(chan error, 3)
	for _, text := range []string{"a", "b", "c"} {
		n := note("e"+text, "r", text, users(text, 1)...)
		e.DeliverAsync(context.Background(), []rules.Notification{n}, delivery.DeliverOptions{},
			func(_ []delivery.Outcome, err error) { done <- err })
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(f.Calls()) < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // room for a call that should not start
	if got := len(f.Calls()); got != 2 {
		t.Fatalf("%d calls with the ledger storing nothing and concurrency 1, want 2 (one accepted awaiting its record, one more)", got)
	}
	if l.flushes.Load() == 0 {
		t.Error("the dispatcher, held by unrecorded calls, never asked the ledger to send its writes")
	}
	l.release()
	for range 3 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if got := len(f.Calls()); got != 3 {
		t.Errorf("%d calls once the records landed, want 3", got)
	}
}

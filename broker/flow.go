package broker

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// flow hands deliveries to a Handler on a small fixed pool of workers and
// keeps at most max events unsettled at once: an event holds its slot from
// submit until the handler settles it (calls done), which an asynchronous
// handler does after it returned. No goroutine is started per event and
// none waits while an event waits for Kore.
type flow struct {
	h Handler
	// settle carries out a handler's verdict on an event; nil when
	// nothing can be sent back (core NATS, observing).
	settle func(e *flowEvent, d Disposition)
	// free holds the places in live not taken: an event takes one from
	// submit until it is settled, so at most cap(free) are unsettled.
	free chan int32
	// live holds the unsettled events by place (nil: free), for the
	// progress acks and for a drain that gives up. A table rather than a
	// set: taking and giving back a place costs no lock.
	live  []atomic.Pointer[flowEvent]
	tasks chan *flowEvent
	ctx   context.Context // the handlers' context
	stop  context.CancelFunc
	wg    sync.WaitGroup // workers

	gate   sync.RWMutex // held shared while submitting, exclusively to close
	closed bool
}

// flowEvent is one submitted event until it is settled.
type flowEvent struct {
	f     *flow
	place int32 // in f.live
	m     Msg
	once  atomic.Bool
	// jm, when set, is the JetStream delivery, kept from being
	// redelivered while it waits: a progress ack every every, sent by the
	// flow's sweep (next is set before the event is in f.live, then only
	// by the sweep).
	jm    jetstream.Msg
	every time.Duration
	next  time.Time
}

// done settles the event once: later calls are ignored.
func (e *flowEvent) done(d Disposition) {
	if !e.once.CompareAndSwap(false, true) {
		return
	}
	e.f.live[e.place].Store(nil)
	if e.f.settle != nil {
		e.f.settle(e, d)
	}
	e.f.free <- e.place
}

// flowWorkers is how many goroutines run handlers: enough to keep the
// cores busy while a few handlers block (a ledger lookup, a dead letter),
// never one per event.
func flowWorkers(limit int) int {
	return max(1, min(limit, max(8, 4*runtime.GOMAXPROCS(0))))
}

// newFlow starts the workers; settle (nil: none) carries out the handlers'
// verdicts. The handlers' context outlives parent's cancellation until
// drain gives up.
func newFlow(parent context.Context, h Handler, maxUnsettled int, settle func(*flowEvent, Disposition)) *flow {
	maxUnsettled = max(maxUnsettled, 1)
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	f := &flow{h: h, settle: settle, free: make(chan int32, maxUnsettled), ctx: ctx, stop: cancel,
		live: make([]atomic.Pointer[flowEvent], maxUnsettled)}
	for i := range maxUnsettled {
		f.free <- int32(i)
	}
	n := flowWorkers(maxUnsettled)
	f.tasks = make(chan *flowEvent, n)
	for range n {
		f.wg.Go(func() {
			for e := range f.tasks {
				f.h(f.ctx, e.m, e.done)
			}
		})
	}
	return f
}

// submit waits for a free slot (or for stop to end) and hands m to a
// worker; the flow's settle receives the handler's verdict once, after
// which the slot is free again. A JetStream delivery jm (nil for others)
// gets a progress ack every every until it is settled (see keepAlive). It
// reports false when stop ended first.
func (f *flow) submit(stop context.Context, m Msg, jm jetstream.Msg, every time.Duration) bool {
	var place int32
	select {
	case place = <-f.free:
	case <-stop.Done():
		return false
	}
	f.gate.RLock()
	defer f.gate.RUnlock()
	if f.closed {
		f.free <- place
		return false
	}
	e := &flowEvent{f: f, place: place, m: m, jm: jm, every: every}
	if jm != nil {
		e.next = time.Now().Add(every)
	}
	f.live[place].Store(e)
	f.tasks <- e
	return true
}

// keepAlive sends, every interval until ctx ends, the progress acks that
// are due, so a delivery waiting long (for budget, say) is not
// redelivered, without a timer per delivery. A lost one only risks an
// early redelivery.
func (f *flow) keepAlive(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(max(interval, time.Millisecond))
	defer t.Stop()
	var due []jetstream.Msg
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			due = due[:0]
			for i := range f.live {
				if e := f.live[i].Load(); e != nil && e.jm != nil && !now.Before(e.next) {
					due = append(due, e.jm)
					e.next = now.Add(e.every)
				}
			}
			for _, a := range due {
				_ = a.InProgress()
			}
		}
	}
}

// drain waits, once the caller has stopped submitting, up to timeout for
// every event to be settled. Events still unsettled then are settled with
// forced (their handlers' later verdicts are ignored) and the handlers'
// context is cancelled. Either way it returns only after every handler
// call has returned. It reports whether every event settled in time.
func (f *flow) drain(timeout time.Duration, forced Disposition) bool {
	f.gate.Lock()
	f.closed = true
	close(f.tasks)
	f.gate.Unlock()
	defer f.wg.Wait()
	defer f.stop()
	t := time.NewTimer(timeout)
	defer t.Stop()
	taken := make([]int32, 0, cap(f.free))
	for range cap(f.free) {
		select {
		case place := <-f.free:
			taken = append(taken, place)
		case <-t.C:
			for _, place := range taken {
				f.free <- place
			}
			f.stop()
			for i := range f.live {
				if e := f.live[i].Load(); e != nil {
					e.done(forced)
				}
			}
			return false
		}
	}
	return true
}

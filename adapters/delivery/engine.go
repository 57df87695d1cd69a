package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/metrics"
)

// Notifier sends one proactive notification call. *kore.Client satisfies it.
type Notifier interface {
	Notify(ctx context.Context, req kore.NotifyRequest) (*kore.Job, error)
}

// StatusChecker reads the status of a notify job; used when tracking jobs.
type StatusChecker interface {
	NotifyStatus(ctx context.Context, jobID string) (*kore.Job, error)
}

// Compile-time checks that the Kore client is what the engine needs.
var (
	_ Notifier      = (*kore.Client)(nil)
	_ StatusChecker = (*kore.Client)(nil)
)

// ErrClosed is returned by Deliver once the engine's Run has returned, and
// for work still queued when it did.
var ErrClosed = errors.New("delivery: engine closed")

// errRunning is returned by a second call to Run.
var errRunning = errors.New("delivery: Run called twice")

// Engine turns notifications into Kore calls through a pipeline of stages,
// each with one job:
//
//	Deliver ─▶ inFlight (claim keys, join duplicates)
//	        ─▶ ledger lookup (drop what was already sent)
//	        ─▶ coalescer (group by message, cut calls of ≤ 1000;
//	           device actions wait in a queue of their own)
//	        ─▶ dispatcher + Budget (pace the calls; device calls are
//	           not spent from it, see deviceQueue)
//	        ─▶ sender (call Kore on a fixed pool of workers)
//	        ─▶ retry policy (back off, honour Retry-After, dead-letter)
//	        ─▶ recorder (record the keys, then settle as sent: from the
//	           ledger's acknowledgement, or on workers of its own for a
//	           ledger that blocks; a sender is free once Kore answered)
//
// Create it with New, start Run once, then call Deliver from any goroutine.
type Engine struct {
	notifier Notifier
	ledger   Ledger
	status   StatusChecker // nil unless jobs are tracked
	opts     Options
	log      *slog.Logger
	metrics  *metrics.Metrics

	flights *inFlight
	queue   *coalescer
	devq    *deviceQueue
	devices Devices // nil: device actions are dead-lettered
	budget  Budget
	polls   *pollQueue
	send    *sender
	// rec records the keys of calls Kore accepted and settles them, so a
	// sender worker is free for the next call while the ledger stores them
	// (a ledger that records asynchronously needs none of its workers).
	rec       *sender
	async     asyncRecorder  // ledger, when it records asynchronously
	recording sync.WaitGroup // asynchronous records under way
	// unrecorded counts the calls Kore accepted whose keys are still being
	// recorded (see recordRoom).
	unrecorded atomic.Int64

	wake    chan struct{}
	started atomic.Bool
	// dispatching is held while a dispatch step runs: Run's, or one that
	// the goroutine bringing work runs itself (see kick); running says
	// Run has set up the workers, so a step may run.
	dispatching sync.Mutex
	running     atomic.Bool
	closed      atomic.Bool
	seq         uint64          // calls started; guarded by dispatching
	callCtx     context.Context // Run's context without its cancellation
}

// New returns an engine sending through n and remembering what was sent in l.
func New(n Notifier, l Ledger, opts Options) (*Engine, error) {
	if n == nil || l == nil {
		return nil, errors.New("delivery: New needs a Notifier and a Ledger")
	}
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	e := &Engine{
		notifier: n,
		ledger:   l,
		opts:     opts,
		log:      opts.Logger,
		metrics:  opts.Metrics,
		flights:  newInFlight(),
		queue:    newCoalescer(opts.BatchWindow),
		devq:     newDeviceQueue(),
		devices:  devicesOf(n, opts.Devices),
		budget:   opts.Budget,
		polls:    &pollQueue{},
		wake:     make(chan struct{}, 1),
	}
	e.async, _ = l.(asyncRecorder)
	if e.budget == nil {
		e.budget = NewLocalBudget(opts.PerMinute, opts.PerHour, opts.Burst, time.Now())
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if opts.TrackJobs {
		st, err := statusChecker(n, opts.Status)
		if err != nil {
			return nil, err
		}
		e.status = st
	}
	return e, nil
}

// statusChecker picks the configured checker, or the notifier if it is one.
func statusChecker(n Notifier, st StatusChecker) (StatusChecker, error) {
	if st != nil {
		return st, nil
	}
	if st, ok := n.(StatusChecker); ok {
		return st, nil
	}
	return nil, fmt.Errorf("delivery: TrackJobs needs a StatusChecker (%T is none)", n)
}

// Run is the dispatcher: it starts calls as budget and concurrency allow
// until ctx is done. Work still queued then is abandoned (its Deliver calls
// return ErrClosed); calls already in flight are not cancelled, and Run
// returns once they have finished and been recorded, so a graceful stop
// loses nothing that Kore accepted. Run may be called only once.
func (e *Engine) Run(ctx context.Context) error {
	if !e.started.CompareAndSwap(false, true) {
		return errRunning
	}
	// The calls' context outlives ctx, and is one that can be cancelled
	// (a pointer to compare) so that the Kore client shares its timeouts
	// among the calls; nothing uses it once Run returns.
	callCtx, endCalls := context.WithCancel(context.WithoutCancel(ctx))
	defer endCalls()
	e.callCtx = callCtx
	e.send = newSender(e.opts.Concurrency, e.kick)
	if e.async == nil {
		e.rec = newSender(e.opts.Concurrency, func() {})
	}
	e.running.Store(true)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		e.dispatching.Lock()
		d := e.dispatch()
		e.dispatching.Unlock()
		if d >= 0 {
			timer.Reset(d)
		}
		select {
		case <-ctx.Done():
			e.shutdown()
			return nil
		case <-e.wake:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// shutdown abandons queued work and waits for calls in flight.
func (e *Engine) shutdown() {
	// Under the dispatch lock: a step that a caller runs (see kick) never
	// sees the engine close halfway, nor starts a call once it has.
	e.dispatching.Lock()
	e.closed.Store(true)
	e.dispatching.Unlock()
	e.flights.close()
	e.flights.settleAll(e.queue.close(), result{abort: ErrClosed})
	e.flights.settleAll(e.devq.close(), result{abort: ErrClosed})
	e.polls.close()
	e.send.close()
	e.recording.Wait() // after the calls: each accepted one starts its record
	if e.rec != nil {
		e.rec.close()
	}
}

// kick runs a dispatch step on the caller's goroutine, which just brought
// work or freed a worker, unless one is running: calls then start without
// waking Run. Run is woken when the step needs a timer, or when another
// step was running (it may have missed the work).
func (e *Engine) kick() {
	if e.running.Load() && e.dispatching.TryLock() {
		d := e.dispatch()
		e.dispatching.Unlock()
		if d < 0 {
			return
		}
	}
	e.signal()
}

// signal wakes the dispatcher without blocking.
func (e *Engine) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Pending reports how many identities are queued or being sent now.
func (e *Engine) Pending() int { return e.flights.len() }

// sender is the stage that makes the calls, on a fixed pool of long-lived
// workers (the deep stacks an HTTP call needs are grown once, not per
// call), at most n at once.
type sender struct {
	work  chan func()
	busy  atomic.Int64
	calls sync.WaitGroup
	freed func() // called when a worker becomes free while wanted
	// wanted says the dispatcher stopped for want of a worker (or of
	// room to record): the next worker to finish wakes it. Otherwise a
	// finished call wakes nobody.
	wanted atomic.Bool
}

func newSender(n int, freed func()) *sender {
	s := &sender{work: make(chan func(), n), freed: freed}
	for range n {
		go s.worker()
	}
	return s
}

// free reports whether a worker can take a call now.
func (s *sender) free() bool { return s.busy.Load() < int64(cap(s.work)) }

// want asks the next worker to finish to call freed. The caller checks
// again afterwards whatever made it wait: a worker that finished before
// the flag was set will not call.
func (s *sender) want() { s.wanted.Store(true) }

// start hands fn to a worker; the caller checked free, so it never blocks.
func (s *sender) start(fn func()) {
	s.busy.Add(1)
	s.calls.Add(1)
	s.work <- fn
}

func (s *sender) worker() {
	for fn := range s.work {
		fn()
		s.calls.Done()
		s.busy.Add(-1)
		if s.wanted.Load() && s.wanted.Swap(false) {
			s.freed()
		}
	}
}

// hand gives fn to a worker, waiting for one to be free.
func (s *sender) hand(fn func()) {
	s.busy.Add(1)
	s.calls.Add(1)
	s.work <- fn
}

// close waits for the calls in flight and stops the workers.
func (s *sender) close() {
	s.calls.Wait()
	close(s.work)
}

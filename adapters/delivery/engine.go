package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
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

// ErrClosed is returned by Deliver once the engine's Run has returned, and
// for work still queued when it did.
var ErrClosed = errors.New("delivery: engine closed")

// errRunning is returned by a second call to Run.
var errRunning = errors.New("delivery: Run called twice")

// Engine coalesces, budgets, sends and retries notifications. Create it with
// New, start Run once, then call Deliver from any goroutine.
type Engine struct {
	notifier Notifier
	ledger   Ledger
	status   StatusChecker // nil unless jobs are tracked
	opts     Options
	log      *slog.Logger
	metrics  *metrics.Metrics

	wake  chan struct{}
	calls sync.WaitGroup
	// work feeds the call workers: long-lived goroutines, so the deep
	// stacks an HTTP call needs are grown once, not once per call.
	work chan func()

	mu      sync.Mutex
	started bool
	closed  bool
	callCtx context.Context // Run's context without its cancellation
	flights map[string]*flight
	groups  map[groupKey]*group
	// queue holds the groups with fresh work in the order their work
	// arrived (stale entries, whose fresh work was taken, are skipped);
	// retrying holds the groups with failed calls waiting out a backoff.
	// Together they let the dispatcher pick the next call without scanning
	// every group.
	queue    []*group
	retrying map[*group]struct{}
	polls    []*poll
	budget   *budget
	inFlight int
	seq      uint64
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
		wake:     make(chan struct{}, 1),
		flights:  make(map[string]*flight),
		groups:   make(map[groupKey]*group),
		retrying: make(map[*group]struct{}),
		budget:   newBudget(opts.PerMinute, opts.PerHour, opts.Burst, time.Now()),
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
	if err := e.start(ctx); err != nil {
		return err
	}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		if d := e.dispatch(); d >= 0 {
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

func (e *Engine) start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.started {
		return errRunning
	}
	e.started = true
	e.callCtx = context.WithoutCancel(ctx)
	e.work = make(chan func(), e.opts.Concurrency)
	for range e.opts.Concurrency {
		go e.worker()
	}
	return nil
}

// worker runs calls until the engine shuts down.
func (e *Engine) worker() {
	for fn := range e.work {
		fn()
		e.calls.Done()
		e.callDone()
	}
}

// shutdown abandons queued work and waits for calls in flight.
func (e *Engine) shutdown() {
	e.mu.Lock()
	e.closed = true
	for k, g := range e.groups {
		g.each(func(f *flight) { e.settle(f, result{abort: ErrClosed}) })
		delete(e.groups, k)
	}
	e.queue = nil
	clear(e.retrying)
	e.polls = nil
	e.mu.Unlock()
	e.calls.Wait()
	close(e.work)
}

// signal wakes the dispatcher without blocking.
func (e *Engine) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// settle gives f its final result and releases its idempotency key. The
// caller holds e.mu.
func (e *Engine) settle(f *flight, r result) {
	f.res = r
	close(f.done)
	if e.flights[f.key] == f {
		delete(e.flights, f.key)
	}
}

// Pending reports how many identities are queued or being sent now.
func (e *Engine) Pending() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.flights)
}

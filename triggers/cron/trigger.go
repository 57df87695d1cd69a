// Package cron fires cron rules: at each scheduled time it publishes an
// event on the rule's subject (triggers.CronSubject) to NATS JetStream.
//
// Every fire carries the header Nats-Msg-Id "cron:<rule>:<scheduled unix
// time>", so when several replicas run the same rules the stream's
// duplicate window keeps exactly one event per fire.
package cron

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/rules/schedule"
)

// Publisher publishes one message to JetStream and returns the event id it
// was stored under. The Nats-Msg-Id header deduplicates across replicas.
type Publisher interface {
	Publish(ctx context.Context, msg *nats.Msg) (eventID string, err error)
}

// StateStore remembers the last fire of each rule (a JetStream KV bucket in
// production); catch-up replays the fires missed since then.
type StateStore interface {
	// LastFired returns the scheduled time of the rule's last published
	// fire, and false if it never fired.
	LastFired(ctx context.Context, rule string) (time.Time, bool, error)
	// SetLastFired records the scheduled time of a published fire.
	SetLastFired(ctx context.Context, rule string, t time.Time) error
}

// Job is one cron rule to fire.
type Job struct {
	// Rule is the rule's name; it names the subject and the msg-id.
	Rule string
	// Schedule says when the rule fires.
	Schedule *schedule.Schedule
	// CatchUp is how old a missed fire may be and still be published once
	// after downtime; 0 means missed fires are not replayed.
	CatchUp time.Duration
}

// Options configures a Trigger. The zero value is usable.
type Options struct {
	// Logger receives the trigger's log lines; nil discards them.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now. Waiting always
	// uses timers on the real clock (faked by testing/synctest in tests).
	Now func() time.Time
	// OnFire, if set, is called once per attempted fire with the final
	// publish error (nil on success): a hook for metrics. Jobs call it
	// from their own goroutines, so it must be safe for concurrent use.
	OnFire func(rule string, scheduled time.Time, err error)
}

// Trigger fires cron jobs until its Run context is done.
type Trigger struct {
	pub    Publisher
	state  StateStore
	log    *slog.Logger
	now    func() time.Time
	onFire func(rule string, scheduled time.Time, err error)

	mu      sync.Mutex
	ctx     context.Context // Run's context; nil when not running
	runners map[string]*runner
	pending []Job // set by an Update that came before Run
	wg      sync.WaitGroup
}

// New returns a Trigger that publishes with pub and remembers fires in state.
func New(pub Publisher, state StateStore, opts Options) *Trigger {
	t := &Trigger{pub: pub, state: state, log: opts.Logger, now: opts.Now, onFire: opts.OnFire}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if t.now == nil {
		t.now = time.Now
	}
	return t
}

// Run fires jobs until ctx is done, then stops every job and returns nil.
// It returns an error at once if the jobs are invalid (empty or duplicate
// rule names, nil schedules) or Run is already running. If Update was
// called before Run, the latest Update's jobs are used instead of jobs.
func (t *Trigger) Run(ctx context.Context, jobs []Job) error {
	t.mu.Lock()
	if t.ctx != nil {
		t.mu.Unlock()
		return errors.New("cron trigger: already running")
	}
	if t.pending != nil {
		jobs, t.pending = t.pending, nil
	}
	if err := validate(jobs); err != nil {
		t.mu.Unlock()
		return fmt.Errorf("cron trigger: %w", err)
	}
	t.ctx, t.runners = ctx, make(map[string]*runner)
	t.apply(jobs)
	t.mu.Unlock()

	<-ctx.Done()
	t.mu.Lock()
	for _, r := range t.runners {
		r.cancel()
	}
	t.ctx, t.runners = nil, nil
	t.mu.Unlock()
	t.wg.Wait()
	return nil
}

// Update replaces the job set, for a rule reload; it is safe to call
// concurrently with Run. Jobs whose rule, spec, zone and catch-up are
// unchanged keep running on their timing; removed rules stop; new or
// changed rules start from now (with catch-up, if they have one). An
// invalid job set is logged and ignored, keeping the current jobs.
func (t *Trigger) Update(jobs []Job) {
	if err := validate(jobs); err != nil {
		t.log.Error("cron trigger: update ignored", "err", err)
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx == nil {
		t.pending = jobs
		return
	}
	t.apply(jobs)
}

// apply starts, keeps and stops runners to match jobs. t.mu must be held.
func (t *Trigger) apply(jobs []Job) {
	next := make(map[string]*runner, len(jobs))
	for _, job := range jobs {
		old := t.runners[job.Rule]
		if old != nil && sameJob(old.job, job) {
			next[job.Rule] = old
			continue
		}
		if old != nil {
			old.cancel()
		}
		next[job.Rule] = t.start(job, old)
	}
	for rule, old := range t.runners {
		if next[rule] == nil {
			old.cancel()
		}
	}
	t.runners = next
}

// start launches a runner for job; it waits for prev (a replaced runner of
// the same rule, or nil) to stop first. t.mu must be held.
func (t *Trigger) start(job Job, prev *runner) *runner {
	ctx, cancel := context.WithCancel(t.ctx)
	r := &runner{t: t, job: job, cancel: cancel, done: make(chan struct{})}
	t.wg.Go(func() {
		defer close(r.done)
		if prev != nil {
			<-prev.done
		}
		r.run(ctx)
	})
	return r
}

func sameJob(a, b Job) bool {
	return a.Rule == b.Rule && a.CatchUp == b.CatchUp &&
		a.Schedule.String() == b.Schedule.String() &&
		a.Schedule.Location().String() == b.Schedule.Location().String()
}

func validate(jobs []Job) error {
	var errs []error
	seen := make(map[string]bool, len(jobs))
	for i, job := range jobs {
		switch {
		case job.Rule == "":
			errs = append(errs, fmt.Errorf("job %d: empty rule name", i))
		case job.Schedule == nil:
			errs = append(errs, fmt.Errorf("rule %s: no schedule", job.Rule))
		case seen[job.Rule]:
			errs = append(errs, fmt.Errorf("rule %s: listed twice", job.Rule))
		case job.CatchUp < 0:
			errs = append(errs, fmt.Errorf("rule %s: negative catch-up %s", job.Rule, job.CatchUp))
		}
		seen[job.Rule] = true
	}
	return errors.Join(errs...)
}

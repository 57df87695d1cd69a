package delivery

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/korelay/korelay/kore"
)

// runCall sends c and settles, requeues or dead-letters its items.
func (e *Engine) runCall(c *call) {
	e.mu.Lock()
	for _, f := range c.items {
		f.attempts++
	}
	e.mu.Unlock()
	job, err := e.notifier.Notify(e.callCtx, c.request())
	switch {
	case err == nil:
		e.accepted(c, job)
	case kore.IsRetryable(err):
		e.retryLater(c, err)
	default:
		e.deadLetter(c, ReasonPermanent, err)
	}
}

// accepted records c's keys, then settles its items as sent.
func (e *Engine) accepted(c *call, job *kore.Job) {
	var jobID string
	if job != nil {
		jobID = job.ID
	}
	recErr := e.record(c.items)
	status := StatusSent
	if e.opts.DryRun {
		status = StatusDryRun
	}
	e.mu.Lock()
	for _, f := range c.items {
		e.settle(f, result{status: status, jobID: jobID, attempts: f.attempts, call: c.seq, err: recErr})
	}
	if e.status != nil && jobID != "" && !e.closed {
		e.polls = append(e.polls, newPoll(jobID, c, time.Now()))
	}
	e.mu.Unlock()
	e.signal()
	e.logCall(slog.LevelDebug, "kore notify accepted", c, slog.String("job_id", jobID))
	if recErr != nil {
		e.logCall(slog.LevelWarn, "idempotency keys not recorded", c, slog.String("job_id", jobID), slog.Any("err", recErr))
	}
}

// record stores the idempotency keys of items, one Record per lifetime.
func (e *Engine) record(items []*flight) error {
	type batch struct {
		ttl  time.Duration
		keys []string
	}
	var batches []batch
	for _, f := range items {
		i := 0
		for i < len(batches) && batches[i].ttl != f.ttl {
			i++
		}
		if i == len(batches) {
			batches = append(batches, batch{ttl: f.ttl, keys: make([]string, 0, len(items))})
		}
		batches[i].keys = append(batches[i].keys, f.key)
	}
	var errs []error
	for _, b := range batches {
		if err := e.ledger.Record(e.callCtx, b.keys, b.ttl); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("delivery: record idempotency keys: %w", err)
	}
	return nil
}

// retryLater requeues c's items after a backoff, dead-lettering those that
// used up their attempts. A Retry-After holds every call, not just these.
func (e *Engine) retryLater(c *call, err error) {
	now := time.Now()
	ra, hasRA := kore.RetryAfter(err)
	e.mu.Lock()
	if hasRA {
		e.budget.hold(now.Add(ra))
	}
	again, tries, dead := e.partition(c, err)
	if len(again) > 0 {
		delay := max(e.opts.backoff(tries), ra)
		g := e.groupFor(c.key)
		g.retries = append(g.retries, retryBatch{notBefore: now.Add(delay), since: oldest(again), items: again})
		e.retrying[g] = struct{}{}
	}
	e.mu.Unlock()
	e.signal()
	e.logCall(slog.LevelWarn, "kore notify failed, will retry", c, slog.Any("err", err))
	if dead != nil {
		e.logCall(slog.LevelWarn, "dead letter", dead, slog.String("reason", ReasonExhausted), slog.Any("err", err))
	}
}

// partition settles the items of c that cannot be retried (engine closed,
// attempts used up) and returns the others with their highest attempt
// count, and a call holding the dead-lettered ones (nil if none). The caller
// holds e.mu.
func (e *Engine) partition(c *call, err error) (again []*flight, tries int, dead *call) {
	exhausted := result{status: StatusDeadLetter, reason: ReasonExhausted, response: responseBody(err), call: c.seq}
	for _, f := range c.items {
		switch {
		case e.closed:
			e.settle(f, result{abort: ErrClosed})
		case f.attempts >= e.opts.MaxAttempts:
			r := exhausted
			r.attempts = f.attempts
			r.err = fmt.Errorf("delivery: gave up after %d attempts: %w", f.attempts, err)
			e.settle(f, r)
			if dead == nil {
				dead = &call{seq: c.seq, key: c.key}
			}
			dead.items = append(dead.items, f)
		default:
			again = append(again, f)
			tries = max(tries, f.attempts)
		}
	}
	return again, tries, dead
}

// deadLetter settles every item of c as a dead letter.
func (e *Engine) deadLetter(c *call, reason string, err error) {
	body := responseBody(err)
	e.mu.Lock()
	for _, f := range c.items {
		e.settle(f, result{status: StatusDeadLetter, reason: reason, err: err, response: body, attempts: f.attempts, call: c.seq})
	}
	e.mu.Unlock()
	e.logCall(slog.LevelWarn, "dead letter", c, slog.String("reason", reason), slog.Any("err", err))
}

// oldest returns the earliest queue time among fs.
func oldest(fs []*flight) time.Time {
	t := fs[0].since
	for _, f := range fs[1:] {
		if f.since.Before(t) {
			t = f.since
		}
	}
	return t
}

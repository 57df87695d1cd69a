package delivery

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/korelay/korelay/kore"
)

// accepted is the recorder stage: it records the idempotency keys of a
// call Kore accepted, then settles its items as sent (dry run: as such),
// and queues the job's status poll when jobs are tracked. Recording comes
// first: a delivery that sees "sent" may ack its event, and the ledger must
// know by then.
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
	for _, f := range c.items {
		e.flights.settle(f, result{status: status, jobID: jobID, attempts: f.attempts, call: c.seq, err: recErr})
	}
	if e.status != nil && jobID != "" && e.polls.add(newPoll(jobID, c, time.Now())) {
		e.signal()
	}
	e.logCall(slog.LevelDebug, callName(c)+" accepted", c, slog.String("job_id", jobID))
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

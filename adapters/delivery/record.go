package delivery

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/korelay/korelay/kore"
)

// recordAccepted is the recorder stage: it records the idempotency keys
// of a call Kore accepted, then settles its items (see accepted).
// Recording comes first: a delivery that sees "sent" may ack its event,
// and the ledger must know by then. A ledger that records asynchronously
// settles the call from its acknowledgement, so no goroutine waits for
// the store; another records on the recorder's workers, so the sender is
// free for the next call either way.
func (e *Engine) recordAccepted(c *call, job *kore.Job) {
	e.unrecorded.Add(1)
	if e.async == nil {
		e.rec.hand(func() {
			err := e.record(c.items)
			e.recorded()
			e.accepted(c, job, err)
		})
		return
	}
	batches := recordBatches(c.items)
	if len(batches) == 0 { // a call carries items; nothing to wait for otherwise
		e.recorded()
		e.accepted(c, job, nil)
		return
	}
	e.recording.Add(1)
	var (
		left = atomic.Int32{}
		mu   sync.Mutex
		errs []error
	)
	left.Store(int32(len(batches)))
	for _, b := range batches {
		e.async.RecordAsync(b.keys, b.ttl, func(err error) {
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			if left.Add(-1) > 0 {
				return
			}
			e.recorded()
			e.accepted(c, job, recordError(errs))
			e.recording.Done()
		})
	}
}

// recorded counts a call Kore accepted as recorded, and wakes the
// dispatcher if recording was what held it.
func (e *Engine) recorded() {
	if e.unrecorded.Add(-1) >= int64(e.opts.Concurrency)-1 {
		e.signal() // recording may have been what held the dispatcher
	}
}

// recordRoom reports whether another call may start. A crash repeats the
// calls at Kore and those Kore accepted whose keys are not recorded yet:
// together they stay within twice Concurrency (a call starts only while
// they are fewer), so recording never holds a sender, and what a crash can
// repeat stays bounded.
func (e *Engine) recordRoom() bool {
	busy := e.send.busy.Load() // first: a call moves from busy to unrecorded, never back
	return e.unrecorded.Load()+busy < 2*int64(e.opts.Concurrency)
}

// hurryRecording has the ledger send the writes it holds back for
// batching when recording, not a busy sender, is what keeps the next call
// from starting.
func (e *Engine) hurryRecording() {
	if e.async != nil && e.send.free() && !e.recordRoom() {
		e.async.FlushWrites()
	}
}

// accepted settles the items of a call Kore accepted, whose keys were
// recorded (recErr says if not), as sent (dry run: as such), and queues
// the job's status poll when jobs are tracked.
func (e *Engine) accepted(c *call, job *kore.Job, recErr error) {
	var jobID string
	if job != nil {
		jobID = job.ID
	}
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

// recordBatch is the keys of one lifetime.
type recordBatch struct {
	ttl  time.Duration
	keys []string
}

// recordBatches groups the keys of items by lifetime: one Record each.
func recordBatches(items []*flight) []recordBatch {
	var batches []recordBatch
	for _, f := range items {
		i := 0
		for i < len(batches) && batches[i].ttl != f.ttl {
			i++
		}
		if i == len(batches) {
			batches = append(batches, recordBatch{ttl: f.ttl, keys: make([]string, 0, len(items))})
		}
		batches[i].keys = append(batches[i].keys, f.key)
	}
	return batches
}

// record stores the idempotency keys of items, one Record per lifetime.
func (e *Engine) record(items []*flight) error {
	var errs []error
	for _, b := range recordBatches(items) {
		if err := e.ledger.Record(e.callCtx, b.keys, b.ttl); err != nil {
			errs = append(errs, err)
		}
	}
	return recordError(errs)
}

// recordError is the error of a call's records, nil when each was stored.
func recordError(errs []error) error {
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("delivery: record idempotency keys: %w", err)
	}
	return nil
}

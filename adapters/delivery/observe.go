package delivery

import (
	"errors"
	"time"

	"github.com/korelay/korelay/kore"
)

// Call results of CallRecord.Result.
const (
	CallAccepted  = "accepted"  // Kore accepted the call
	CallRetry     = "retry"     // retryable: the identities go again after a backoff
	CallExhausted = "exhausted" // retryable, but some identities used their last attempt
	CallPermanent = "permanent" // refused for good: dead-lettered
)

// CallRecord is one notify call as delivery made it, for an observer such
// as the delivery journal (Options.OnCall).
type CallRecord struct {
	// Seq numbers the engine's calls.
	Seq     uint64
	Start   time.Time
	Elapsed time.Duration
	Channel string
	// Identities counts the call's distinct identities.
	Identities int
	// Code is Kore's HTTP status for a refused call (kore.APIError), 0 for
	// an accepted call or one that got no answer.
	Code  int
	JobID string
	// Result is CallAccepted, CallRetry, CallExhausted or CallPermanent.
	Result string
	Err    error
	// RetryAfter is the wait Kore asked for (0: none).
	RetryAfter time.Duration
	// Items are the (rule, event) pairs the call carried, in order.
	Items []CallItem
}

// CallItem is what one call carried for one rule and event.
type CallItem struct {
	Rule, EventID string
	// Identities counts the event's identities in the call.
	Identities int
	// Attempt is the highest attempt among them (1: the first call).
	Attempt int
}

// observeCall hands a finished call to Options.OnCall.
func (e *Engine) observeCall(c *call, start time.Time, job *kore.Job, err error) {
	rec := CallRecord{Seq: c.seq, Start: start, Elapsed: time.Since(start), Channel: c.key.channel,
		Identities: len(c.identities), Err: err, Result: CallAccepted, Items: callItems(c)}
	switch {
	case err == nil:
		if job != nil {
			rec.JobID = job.ID
		}
	case kore.IsRetryable(err):
		rec.Result = CallRetry
		if e.exhausts(c) {
			rec.Result = CallExhausted
		}
		rec.RetryAfter, _ = kore.RetryAfter(err)
	default:
		rec.Result = CallPermanent
	}
	if apiErr, ok := errors.AsType[*kore.APIError](err); ok {
		rec.Code = apiErr.StatusCode
	}
	e.opts.OnCall(rec)
}

// exhausts reports whether a failed call was the last attempt of some of
// its identities.
func (e *Engine) exhausts(c *call) bool {
	for _, f := range c.items {
		if f.attempts >= e.opts.MaxAttempts {
			return true
		}
	}
	return false
}

// callItems groups the call's flights by rule and event, merging runs of
// the same pair (a call's items arrive grouped by delivery).
func callItems(c *call) []CallItem {
	var out []CallItem
	for _, f := range c.items {
		if n := len(out); n > 0 && out[n-1].Rule == f.rule && out[n-1].EventID == f.eventID {
			out[n-1].Identities++
			out[n-1].Attempt = max(out[n-1].Attempt, f.attempts)
			continue
		}
		out = append(out, CallItem{Rule: f.rule, EventID: f.eventID, Identities: 1, Attempt: f.attempts})
	}
	return out
}

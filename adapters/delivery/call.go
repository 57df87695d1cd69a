package delivery

import (
	"log/slog"
	"time"

	"github.com/korelay/korelay/kore"
)

// runCall sends c, on a worker, and hands the answer on (see answered).
func (e *Engine) runCall(c *call) {
	c.attempt()
	var start time.Time
	if e.opts.OnCall != nil {
		start = time.Now()
	}
	job, err := e.notifier.Notify(e.callCtx, c.request())
	if e.opts.OnCall != nil {
		e.observeCall(c, start, job, err)
	}
	e.answered(c, job, err)
}

// attempt counts one more call carrying each item of c.
func (c *call) attempt() {
	for _, f := range c.items {
		f.attempts++
	}
}

// answered hands the answer to call c to the stage that settles it: the
// recorder when Kore accepted it, the retry policy when the error is
// retryable, a dead letter when it is not.
func (e *Engine) answered(c *call, job *kore.Job, err error) {
	switch {
	case err == nil:
		e.recordAccepted(c, job)
	case kore.IsRetryable(err):
		e.retryLater(c, err)
	default:
		e.deadLetter(c, ReasonPermanent, err)
	}
}

// deadLetter settles every item of c as a dead letter.
func (e *Engine) deadLetter(c *call, reason string, err error) {
	body := responseBody(err)
	for _, f := range c.items {
		e.flights.settle(f, result{status: StatusDeadLetter, reason: reason, err: err, response: body, attempts: f.attempts, call: c.seq})
	}
	e.logCall(slog.LevelWarn, "dead letter", c, slog.String("reason", reason), slog.Any("err", err))
}

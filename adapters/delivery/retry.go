package delivery

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/korelay/korelay/kore"
)

// retryLater is the retry stage: it requeues c's items after a backoff,
// dead-letters those that used up their attempts, and, when Kore said to
// wait (Retry-After) or refused for its rate limit, pauses the calls of
// c's kind (see pauseFor): for a notify call the budget, so that no call
// spent from it (by any replica sharing it) starts before then.
func (e *Engine) retryLater(c *call, err error) {
	now := time.Now()
	ra, hasRA := kore.RetryAfter(err)
	again, tries, dead := e.partition(c, err)
	delay := max(e.opts.backoff(max(tries, 1)), ra)
	switch {
	case hasRA:
		e.pauseFor(c.key, now.Add(ra))
	case kore.IsRateLimited(err):
		e.pauseFor(c.key, now.Add(delay)) // no Retry-After: hold everyone for the backoff
	}
	if len(again) > 0 {
		if !e.retryQueue(c.key, again, now.Add(delay)) {
			e.flights.settleAll(again, result{abort: ErrClosed})
		}
	}
	e.signal()
	e.logCall(slog.LevelWarn, callName(c)+" failed, will retry", c, slog.Any("err", err))
	if dead != nil {
		e.logCall(slog.LevelWarn, "dead letter", dead, slog.String("reason", ReasonExhausted), slog.Any("err", err))
	}
}

// partition settles the items of c that cannot be retried (engine closed,
// attempts used up) and returns the others with their highest attempt
// count, and a call holding the dead-lettered ones (nil if none).
func (e *Engine) partition(c *call, err error) (again []*flight, tries int, dead *call) {
	exhausted := result{status: StatusDeadLetter, reason: ReasonExhausted, response: responseBody(err), call: c.seq}
	closed := e.closed.Load()
	for _, f := range c.items {
		switch {
		case closed:
			e.flights.settle(f, result{abort: ErrClosed})
		case f.attempts >= e.opts.MaxAttempts:
			r := exhausted
			r.attempts = f.attempts
			r.err = fmt.Errorf("delivery: gave up after %d attempts: %w", f.attempts, err)
			e.flights.settle(f, r)
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

// responseBody returns Kore's response body carried by err, if any.
func responseBody(err error) string {
	var apiErr *kore.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Body
	}
	return ""
}

// backoff returns the wait before attempt+1: full jitter over an
// exponential ceiling, BaseBackoff·2^(attempt-1), capped at MaxBackoff.
func (o *Options) backoff(attempt int) time.Duration {
	ceil := o.BaseBackoff
	for i := 1; i < attempt && ceil < o.MaxBackoff; i++ {
		ceil *= 2
	}
	ceil = min(ceil, o.MaxBackoff)
	if ceil <= 0 {
		return 0
	}
	return rand.N(ceil + 1)
}

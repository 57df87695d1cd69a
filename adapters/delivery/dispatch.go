package delivery

import (
	"time"

	"github.com/korelay/korelay/kore"
)

// dispatch starts as many calls as budget, concurrency and pending work
// allow, and returns how long to sleep before trying again (-1: until woken).
func (e *Engine) dispatch() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	for {
		if e.closed || e.inFlight >= e.opts.Concurrency {
			return -1
		}
		now := time.Now()
		g, r, wakeAt := e.pickGroup(now)
		p := -1
		if g == nil {
			p, wakeAt = e.pickPoll(now, wakeAt)
		}
		if g == nil && p < 0 {
			if wakeAt.IsZero() {
				return -1
			}
			return wakeAt.Sub(now)
		}
		if at := e.budget.next(now); at.After(now) {
			return at.Sub(now)
		}
		e.budget.take(now)
		e.seq++
		if g != nil {
			e.startCall(g, r, now)
		} else {
			e.startPoll(p)
		}
	}
}

// pickGroup returns the sendable group whose oldest item waited longest, or
// nil and when the next group becomes sendable.
func (e *Engine) pickGroup(now time.Time) (*group, readiness, time.Time) {
	var (
		best   *group
		bestR  readiness
		wakeAt time.Time
	)
	for _, g := range e.groups {
		r := g.readiness(now, e.opts.BatchWindow)
		if !r.ok {
			wakeAt = earliest(wakeAt, r.wakeAt)
			continue
		}
		if best == nil || r.oldest.Before(bestR.oldest) {
			best, bestR = g, r
		}
	}
	return best, bestR, wakeAt
}

// startCall takes a call's worth of work from g and runs it. The caller
// holds e.mu and has spent the budget.
func (e *Engine) startCall(g *group, r readiness, now time.Time) {
	c := g.take(now, kore.MaxIdentities)
	c.seq = e.seq
	if g.empty() {
		delete(e.groups, g.key)
	}
	if e.metrics != nil {
		e.metrics.BudgetWait.Observe(now.Sub(r.readyAt).Seconds())
	}
	e.launch(func() { e.runCall(c) })
}

// launch runs fn as a call in flight. The caller holds e.mu.
func (e *Engine) launch(fn func()) {
	e.inFlight++
	e.calls.Go(func() {
		defer e.callDone()
		fn()
	})
}

func (e *Engine) callDone() {
	e.mu.Lock()
	e.inFlight--
	e.mu.Unlock()
	e.signal()
}

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
// nil and when the next group becomes sendable. Only the head of the fresh
// queue (the oldest fresh work; every group's window is the same length)
// and the groups waiting to retry are considered, so picking costs the
// same however many messages wait.
func (e *Engine) pickGroup(now time.Time) (*group, readiness, time.Time) {
	var (
		best   *group
		bestR  readiness
		wakeAt time.Time
	)
	consider := func(g *group) {
		r := g.readiness(now, e.opts.BatchWindow)
		if !r.ok {
			wakeAt = earliest(wakeAt, r.wakeAt)
			return
		}
		if best == nil || r.oldest.Before(bestR.oldest) {
			best, bestR = g, r
		}
	}
	if head := e.queueHead(); head != nil {
		consider(head)
	}
	for g := range e.retrying {
		consider(g)
	}
	return best, bestR, wakeAt
}

// queueHead drops stale entries from the front of the fresh queue and
// returns the group at its head, if any.
func (e *Engine) queueHead() *group {
	for len(e.queue) > 0 {
		g := e.queue[0]
		if len(g.fresh) > 0 {
			return g
		}
		g.queued = false
		e.queue[0] = nil
		e.queue = e.queue[1:]
	}
	e.queue = nil
	return nil
}

// startCall takes a call's worth of work from g and runs it. The caller
// holds e.mu and has spent the budget.
func (e *Engine) startCall(g *group, r readiness, now time.Time) {
	c := g.take(now, kore.MaxIdentities)
	c.seq = e.seq
	if len(g.retries) == 0 {
		delete(e.retrying, g)
	}
	if g.empty() {
		delete(e.groups, g.key)
	}
	if e.metrics != nil {
		e.metrics.BudgetWait.Observe(now.Sub(r.readyAt).Seconds())
	}
	e.launch(func() { e.runCall(c) })
}

// launch hands fn to a call worker. The caller holds e.mu and has checked
// that fewer than Concurrency calls are in flight, so the send never blocks.
func (e *Engine) launch(fn func()) {
	e.inFlight++
	e.calls.Add(1)
	e.work <- fn
}

func (e *Engine) callDone() {
	e.mu.Lock()
	e.inFlight--
	e.mu.Unlock()
	e.signal()
}

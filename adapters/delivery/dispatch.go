package delivery

import (
	"time"

	"github.com/korelay/korelay/kore"
)

// dispatch starts as many calls as budget, free workers and pending work
// allow, and returns how long to sleep before trying again (-1: until
// woken). The caller holds e.dispatching.
func (e *Engine) dispatch() time.Duration {
	for {
		if e.closed.Load() {
			return -1
		}
		if !e.send.free() || !e.recordRoom() {
			// Wait for a worker to finish (recorded wakes us for room
			// to record too); check again, as one may have just now.
			e.send.want()
			if !e.send.free() || !e.recordRoom() {
				e.hurryRecording()
				return -1
			}
		}
		now := time.Now()
		devOK, devAt := e.devq.due(now)
		if devOK {
			e.seq++
			e.startDeviceCall(now)
			continue
		}
		callOK, wakeAt := e.queue.due(now)
		wakeAt = earliest(wakeAt, devAt)
		pollOK := false
		if !callOK {
			var pollAt time.Time
			pollOK, pollAt = e.polls.due(now)
			wakeAt = earliest(wakeAt, pollAt)
		}
		if !callOK && !pollOK {
			if wakeAt.IsZero() {
				return -1
			}
			return wakeAt.Sub(now)
		}
		if ok, at := e.budget.Reserve(now); !ok {
			return earliest(at, devAt).Sub(now)
		}
		e.seq++
		if callOK {
			e.startCall(now)
		} else {
			e.startPoll(now)
		}
	}
}

// startCall cuts the next call and hands it to a worker. The budget is
// spent.
func (e *Engine) startCall(now time.Time) {
	c, readyAt := e.queue.cut(now, kore.MaxIdentities)
	if c == nil {
		return // cannot happen: only a dispatch step cuts, and work was due
	}
	c.seq = e.seq
	if e.metrics != nil {
		e.metrics.BudgetWait.Observe(now.Sub(readyAt).Seconds())
	}
	e.send.start(func() { e.runCall(c) })
}

// startPoll takes the most overdue job-status poll and hands it to a
// worker. The budget is spent.
func (e *Engine) startPoll(now time.Time) {
	if p := e.polls.take(now); p != nil {
		e.send.start(func() { e.runPoll(p) })
	}
}

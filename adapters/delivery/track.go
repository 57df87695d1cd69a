package delivery

import (
	"time"

	"github.com/korelay/korelay/kore"
)

// Job tracking: polls at pollBase after acceptance, doubling, at most
// maxPolls times.
const (
	pollBase = 2 * time.Second
	maxPolls = 5
)

// poll is a job whose status is still to be read.
type poll struct {
	jobID     string
	rule      string // of the first item, for logs
	eventID   string
	count     int // identities in the call
	attempts  int
	notBefore time.Time
	last      *kore.Job
}

func newPoll(jobID string, c *call, now time.Time) *poll {
	return &poll{
		jobID:     jobID,
		rule:      c.items[0].rule,
		eventID:   c.items[0].eventID,
		count:     len(c.identities),
		notBefore: now.Add(pollBase),
	}
}

// pickPoll returns the index of the most overdue due poll, or -1 and the
// earlier of wakeAt and the next poll's time. The caller holds e.mu.
func (e *Engine) pickPoll(now, wakeAt time.Time) (int, time.Time) {
	best := -1
	for i, p := range e.polls {
		if best < 0 || p.notBefore.Before(e.polls[best].notBefore) {
			best = i
		}
	}
	if best < 0 {
		return -1, wakeAt
	}
	if at := e.polls[best].notBefore; at.After(now) {
		return -1, earliest(wakeAt, at)
	}
	return best, wakeAt
}

// startPoll removes poll i from the queue and runs it as a call in flight.
// The caller holds e.mu and has spent the budget.
func (e *Engine) startPoll(i int) {
	p := e.polls[i]
	last := len(e.polls) - 1
	e.polls[i] = e.polls[last]
	e.polls[last] = nil
	e.polls = e.polls[:last]
	e.launch(func() { e.runPoll(p) })
}

// runPoll reads the job status once, and polls again later unless the job
// is done, polls are used up or the error is permanent.
func (e *Engine) runPoll(p *poll) {
	job, err := e.status.NotifyStatus(e.callCtx, p.jobID)
	p.attempts++
	if err == nil && job != nil {
		p.last = job
	}
	done := p.last != nil && p.last.Done()
	if !done && p.attempts < maxPolls && (err == nil || kore.IsRetryable(err)) && e.repoll(p) {
		return
	}
	e.finishPoll(p, err)
}

// repoll queues p again after a doubled delay; false if the engine closed.
func (e *Engine) repoll(p *poll) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	p.notBefore = time.Now().Add(pollBase << p.attempts)
	e.polls = append(e.polls, p)
	return true
}

// finishPoll logs the job's last known status and hands it on.
func (e *Engine) finishPoll(p *poll, err error) {
	attrs := []any{"rule", p.rule, "event_id", p.eventID, "job_id", p.jobID, "identities", p.count}
	switch {
	case p.last == nil:
		e.log.Warn("job status unknown", append(attrs, "err", err)...)
		return
	case p.last.Status == kore.JobSuccess:
		e.log.Debug("job done", append(attrs, "status", p.last.Status)...)
	default:
		e.log.Warn("job not fully successful", append(attrs, "status", p.last.Status, "failed", failedCount(p.last), "err", err)...)
	}
	if e.opts.OnJobResult != nil {
		e.opts.OnJobResult(p.last)
	}
}

// failedCount counts the identities a job reports as failed.
func failedCount(j *kore.Job) int {
	n := 0
	for _, l := range j.StatusLogs {
		if l.Status == kore.JobFailure {
			n++
		}
	}
	return n
}

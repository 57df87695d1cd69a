package delivery

import (
	"sync"
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

// pollQueue holds the job-status polls waiting for their time and for
// budget; notify calls go first. Safe for concurrent use.
type pollQueue struct {
	mu     sync.Mutex
	polls  []*poll
	closed bool
}

// add queues p; false once closed.
func (q *pollQueue) add(p *poll) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	q.polls = append(q.polls, p)
	return true
}

// due reports whether a poll is due at now, and otherwise when the next
// one is (zero: none queued).
func (q *pollQueue) due(now time.Time) (bool, time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	i := q.mostOverdue()
	if i < 0 {
		return false, time.Time{}
	}
	if at := q.polls[i].notBefore; at.After(now) {
		return false, at
	}
	return true, time.Time{}
}

// take removes and returns the most overdue due poll, or nil.
func (q *pollQueue) take(now time.Time) *poll {
	q.mu.Lock()
	defer q.mu.Unlock()
	i := q.mostOverdue()
	if i < 0 || q.polls[i].notBefore.After(now) {
		return nil
	}
	p := q.polls[i]
	last := len(q.polls) - 1
	q.polls[i] = q.polls[last]
	q.polls[last] = nil
	q.polls = q.polls[:last]
	return p
}

// mostOverdue is the index of the poll with the earliest time, or -1. The
// caller holds q.mu.
func (q *pollQueue) mostOverdue() int {
	best := -1
	for i, p := range q.polls {
		if best < 0 || p.notBefore.Before(q.polls[best].notBefore) {
			best = i
		}
	}
	return best
}

// close drops every queued poll and refuses new ones.
func (q *pollQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.polls = nil
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
	if !done && p.attempts < maxPolls && (err == nil || kore.IsRetryable(err)) {
		p.notBefore = time.Now().Add(pollBase << p.attempts)
		if e.polls.add(p) {
			e.signal()
			return
		}
	}
	e.finishPoll(p, err)
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

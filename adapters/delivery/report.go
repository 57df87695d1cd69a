package delivery

import (
	"cmp"

	"github.com/korelay/korelay/rules"
)

// outcomes groups the settled slots into Outcomes and returns the first
// abort error among them.
func outcomes(ns []rules.Notification, slots []slot) ([]Outcome, error) {
	var (
		outs  []Outcome
		keys  = make([]outcomeKey, 0, 4) // of outs; on the stack for a few
		runs  = make([]idRun, 0, 4)      // of outs
		abort error
		first = 0  // index in outs of the current notification's first Outcome
		cur   = -1 // current notification
		base  = 0  // index in slots of the current notification's first slot
	)
	for i := range slots {
		s := &slots[i]
		if s.n != cur {
			cur, first, base = s.n, len(outs), i
		}
		r, ok := s.settled()
		if !ok {
			continue
		}
		if r.abort != nil {
			abort = cmp.Or(abort, r.abort)
			continue
		}
		j := indexOf(keys[first:], r.key())
		if j < 0 {
			outs = append(outs, newOutcome(&ns[s.n], &r))
			keys = append(keys, r.key())
			runs = append(runs, idRun{n: s.n, from: i - base, to: i - base})
			j = len(outs) - 1
		} else {
			j += first
		}
		runs[j].add(&outs[j], ns[s.n].Identities, i-base)
	}
	for j := range outs {
		if run := runs[j]; run.from >= 0 {
			outs[j].Identities = ns[run.n].Identities[run.from:run.to:run.to]
		}
	}
	return outs, abort
}

// idRun is the identities of an Outcome while they are a run of those of
// its notification (n), in order: the Outcome then shares them (nobody
// changes either) rather than copy them one by one. from is -1 once they
// are not.
type idRun struct{ n, from, to int }

// add adds the identity at index k of ids (the notification's) to o.
func (run *idRun) add(o *Outcome, ids []string, k int) {
	if run.from >= 0 {
		if k == run.to {
			run.to++
			return
		}
		o.Identities = append([]string(nil), ids[run.from:run.to]...)
		run.from = -1
	}
	o.Identities = append(o.Identities, ids[k])
}

func indexOf(keys []outcomeKey, k outcomeKey) int {
	for i := range keys {
		if keys[i] == k {
			return i
		}
	}
	return -1
}

func newOutcome(n *rules.Notification, r *result) Outcome {
	key := n.DedupKey
	if key == "" {
		key = eventDedupKey(n.EventID)
	}
	o := Outcome{
		DedupKey:    key,
		Rule:        n.Rule,
		Channel:     n.Channel,
		EventID:     n.EventID,
		MessageType: n.MessageType,
		Message:     n.Message,
		Status:      r.status,
		JobID:       r.jobID,
		Reason:      r.reason,
		Err:         r.err,
		Response:    r.response,
		Attempts:    r.attempts,
	}
	if n.Devices != nil {
		o.Channel, o.MessageType, o.Message, o.Devices = ChannelDevices, string(rules.ActionDevices), describeDevices(n.Devices), n.Devices
	}
	return o
}

// count adds outcomes to the notification metrics. Dead letters are
// counted by whoever stores them, once stored.
func (e *Engine) count(outs []Outcome) {
	if e.metrics == nil {
		return
	}
	for i := range outs {
		o := &outs[i]
		e.metrics.Notifications.WithLabelValues(o.Rule, o.Channel, o.Status.String()).Add(float64(len(o.Identities)))
	}
}

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
		keys  []outcomeKey
		abort error
		first = 0  // index in outs of the current notification's first Outcome
		cur   = -1 // current notification
	)
	for i := range slots {
		s := &slots[i]
		r, ok := s.settled()
		if !ok {
			continue
		}
		if r.abort != nil {
			abort = cmp.Or(abort, r.abort)
			continue
		}
		if s.n != cur {
			cur, first = s.n, len(outs)
		}
		j := indexOf(keys[first:], r.key())
		if j < 0 {
			outs = append(outs, newOutcome(&ns[s.n], &r))
			keys = append(keys, r.key())
			j = len(outs) - 1
		} else {
			j += first
		}
		outs[j].Identities = append(outs[j].Identities, s.identity)
	}
	return outs, abort
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

package service

import (
	"slices"
	"sync"
	"time"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/internal/subject"
	"github.com/korelay/korelay/journal"
	"github.com/korelay/korelay/rules"
)

func deliveryOf(m broker.Msg) journal.Delivery {
	return journal.Delivery{Seq: m.Sequence, Attempt: m.NumDelivered, Replayed: m.Replayed}
}

// maxInlineResults is how many rule results and notifications of an
// evaluated event's record are built without allocating.
const maxInlineResults = 4

// writeEvaluated journals an evaluated event (res, by set) or one that
// could not be decoded (err). The record is built on the stack and
// encoded at once: this runs for every event.
func (j *eventJournal) writeEvaluated(m broker.Msg, ev *rules.Event, set *rules.Set, res *rules.Result, err error) {
	d := deliveryOf(m)
	t := journal.Trigger{Source: string(ev.Source), Name: ev.Trigger, Received: ev.Time, Size: len(m.Data)}
	if m.Subject != ev.Trigger {
		t.Subject = m.Subject
	}
	if r, ok := cronRule(set, ev); ok {
		t.Schedule = scheduleText(r)
	}
	rec := journal.Record{Kind: journal.KindEvaluated, EventID: m.EventID, Time: time.Now(), Delivery: &d, Trigger: &t}
	var results [maxInlineResults]journal.RuleResult
	var notes [maxInlineResults]journal.Notification
	if err != nil {
		rec.Error = err.Error()
	} else {
		rec.Rules = ruleResults(results[:0], j.bound.bound(set, ev.Source, ev.Trigger), res)
		if len(res.Notifications) > 0 {
			rec.Notifications = notes[:0]
		}
		for i := range res.Notifications {
			rec.Notifications = append(rec.Notifications, notificationOf(&res.Notifications[i]))
		}
	}
	j.w.Write(&rec, m.Data)
}

// cronRule is the cron rule a cron event fired, if set has it.
func cronRule(set *rules.Set, ev *rules.Event) (*rules.Rule, bool) {
	if ev.Source != rules.SourceCron || set == nil {
		return nil, false
	}
	r, ok := set.Rule(ev.Trigger)
	return r, ok && r.Schedule != nil
}

// ruleResults appends to out what each rule bound to the trigger did.
func ruleResults(out []journal.RuleResult, bound []*rules.Rule, res *rules.Result) []journal.RuleResult {
	if len(bound) == 0 {
		return nil
	}
	for _, r := range bound {
		rr := journal.RuleResult{Rule: r.Name, Result: journal.ResultWhenFalse}
		if slices.Contains(res.Matched, r.Name) {
			rr.Result = journal.ResultMatched
			if r.Mode == rules.ModeShadow {
				rr.Result = journal.ResultShadow
			}
		}
		for _, f := range res.Failures {
			if f.Rule == r.Name {
				rr.Result, rr.Error = journal.ResultRenderError, f.Err.Error()
				if f.Reason == rules.ReasonDecode {
					rr.Result = journal.ResultDecodeError
				}
			}
		}
		for i := range res.Notifications {
			if res.Notifications[i].Rule == r.Name {
				rr.Notifications++
			}
		}
		out = append(out, rr)
	}
	return out
}

// boundCache remembers the rules bound to each trigger of one rule set,
// so the journal does not look through every rule for every event. Safe
// for concurrent use.
type boundCache struct {
	mu    sync.RWMutex
	set   *rules.Set
	rules map[boundKey][]*rules.Rule
}

// boundKey is a trigger of a rule set.
type boundKey struct {
	source  rules.Source
	trigger string
}

// maxBoundCache bounds the triggers remembered (NATS subjects can be many).
const maxBoundCache = 4096

func (c *boundCache) bound(set *rules.Set, source rules.Source, trigger string) []*rules.Rule {
	key := boundKey{source, trigger}
	c.mu.RLock()
	rs, ok := c.rules[key]
	ok = ok && c.set == set
	c.mu.RUnlock()
	if ok {
		return rs
	}
	rs = boundRules(set, source, trigger)
	c.mu.Lock()
	if c.set != set || len(c.rules) >= maxBoundCache {
		c.set, c.rules = set, make(map[boundKey][]*rules.Rule)
	}
	c.rules[key] = rs
	c.mu.Unlock()
	return rs
}

// boundRules are the rules of set bound to a trigger, as Evaluate finds
// them (by name).
func boundRules(set *rules.Set, source rules.Source, trigger string) []*rules.Rule {
	if set == nil {
		return nil
	}
	var out []*rules.Rule
	for _, r := range set.Rules() {
		var bound bool
		switch source {
		case rules.SourceNATS:
			bound = r.On.NATS != "" && subject.Matches(r.On.NATS, trigger)
		case rules.SourceWebhook:
			bound = r.On.Webhook == trigger
		case rules.SourceCron:
			bound = r.On.Cron != "" && r.Name == trigger
		}
		if bound {
			out = append(out, r)
		}
	}
	return out
}

func notificationOf(n *rules.Notification) journal.Notification {
	return journal.Notification{Rule: n.Rule, Channel: n.Channel, Mode: string(n.Mode),
		Identities: len(n.Identities), Sample: sample(n.Identities), DedupKey: dedupKey(n.DedupKey, n.EventID)}
}

// dedupKey is a notification's dedup key as delivery spells it.
func dedupKey(key, eventID string) string {
	if key == "" {
		return "event:" + eventID
	}
	return key
}

// writeSettled journals delivery's outcomes for an event's notifications
// ns, built on the stack and encoded at once.
func (j *eventJournal) writeSettled(m broker.Msg, ns []rules.Notification, outs []delivery.Outcome) {
	d := deliveryOf(m)
	var room [maxInlineResults]journal.Outcome
	rec := journal.Record{Kind: journal.KindSettled, EventID: m.EventID, Time: time.Now(), Delivery: &d,
		Outcomes: room[:0]}
	n := 0 // outcomes come in notification order
	for i := range outs {
		o := &outs[i]
		for n < len(ns) && !sameNotification(&ns[n], o) {
			n++
		}
		idx := n
		if n == len(ns) {
			idx, n = -1, 0
		}
		out := outcomeOf(o, idx)
		if idx >= 0 {
			compactOutcome(&out, &ns[idx])
		}
		rec.Outcomes = append(rec.Outcomes, out)
	}
	j.w.Write(&rec, nil)
}

// compactOutcome leaves out of an outcome what its notification's record
// says already (journal.Story fills it back): the journal writes as many
// bytes a second as korelay handles events, so every one counts.
func compactOutcome(out *journal.Outcome, n *rules.Notification) {
	out.Rule, out.Channel, out.DedupKey = "", "", ""
	if out.Identities == len(n.Identities) {
		out.Sample = nil
	}
}

func sameNotification(n *rules.Notification, o *delivery.Outcome) bool {
	return n.Rule == o.Rule && n.Channel == o.Channel && dedupKey(n.DedupKey, n.EventID) == o.DedupKey &&
		n.MessageType == o.MessageType && n.Message == o.Message
}

func outcomeOf(o *delivery.Outcome, notification int) journal.Outcome {
	out := journal.Outcome{Notification: notification, Rule: o.Rule, Channel: o.Channel, Status: o.Status.String(),
		Identities: len(o.Identities), Sample: sample(o.Identities), DedupKey: o.DedupKey,
		JobID: o.JobID, Attempts: o.Attempts, Reason: o.Reason}
	if o.Err != nil {
		out.Error = o.Err.Error()
	}
	return out
}

// writeCall journals a Kore call: a record for each event it carried.
func (j *eventJournal) writeCall(c *delivery.CallRecord) {
	for _, it := range c.Items {
		call := journal.Call{Seq: c.Seq, Rule: it.Rule, Channel: c.Channel, Attempt: it.Attempt,
			Identities: it.Identities, CallIdentities: c.Identities, Code: c.Code, JobID: c.JobID,
			Result: c.Result, RetryAfter: c.RetryAfter, Duration: c.Elapsed}
		if c.Err != nil {
			call.Error = c.Err.Error()
		}
		rec := journal.Record{Kind: journal.KindCall, EventID: it.EventID, Time: c.Start, Call: &call}
		j.w.Write(&rec, nil)
	}
}

// sample is the first journal.MaxSample identities, without a copy: the
// identities of a notification or outcome are never changed.
func sample(ids []string) []string {
	n := min(len(ids), journal.MaxSample)
	return ids[:n:n]
}

package service

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/internal/subject"
	"github.com/korelay/korelay/journal"
	"github.com/korelay/korelay/rules"
)

// previewBytes is how much of a payload the journal keeps.
const previewBytes = 128

// msgFacts is what the journal keeps of an event message: no copy of the
// payload beyond a slice of its first bytes.
type msgFacts struct {
	id, subject string
	size        int
	preview     []byte
	delivery    journal.Delivery
}

func factsOf(m broker.Msg) msgFacts {
	return msgFacts{id: m.EventID, subject: m.Subject, size: len(m.Data),
		preview: m.Data[:min(len(m.Data), previewBytes)], delivery: deliveryOf(m)}
}

func deliveryOf(m broker.Msg) journal.Delivery {
	return journal.Delivery{Seq: m.Sequence, Attempt: m.NumDelivered, Replayed: m.Replayed}
}

// evaluatedEntry is an evaluated (or undecodable) event.
type evaluatedEntry struct {
	msg     msgFacts
	source  rules.Source
	trigger string
	at      time.Time // the event's time
	done    time.Time // when it was evaluated
	set     *rules.Set
	res     rules.Result
	err     error       // the event could not be decoded
	cache   *boundCache // the journal's
	// Room for the record's trigger and its rule result, the usual one:
	// the record points into the entry, which lives as long.
	trig journal.Trigger
	rule [1]journal.RuleResult
}

func (e *evaluatedEntry) Records(dst []journal.Record) []journal.Record {
	rec := journal.Record{Kind: journal.KindEvaluated, EventID: e.msg.id, Time: e.done, Delivery: &e.msg.delivery,
		Trigger: e.triggerOf()}
	if e.err != nil {
		rec.Error = e.err.Error()
		return append(dst, rec)
	}
	rec.Rules = e.ruleResults()
	for i := range e.res.Notifications {
		rec.Notifications = append(rec.Notifications, notificationOf(&e.res.Notifications[i]))
	}
	return append(dst, rec)
}

func (e *evaluatedEntry) triggerOf() *journal.Trigger {
	t := &e.trig
	*t = journal.Trigger{Source: string(e.source), Name: e.trigger, Received: e.at, Size: e.msg.size}
	switch p := e.msg.preview; {
	case !utf8.Valid(p):
		t.Preview = strings.ToValidUTF8(string(p), "\uFFFD")
	case len(p) < e.msg.size:
		t.Preview = string(p) + "…" // one allocation
	default:
		t.Preview = string(p)
	}
	if e.msg.subject != e.trigger {
		t.Subject = e.msg.subject
	}
	if r, ok := e.cronRule(); ok {
		t.Schedule = scheduleText(r)
	}
	return t
}

func (e *evaluatedEntry) cronRule() (*rules.Rule, bool) {
	if e.source != rules.SourceCron || e.set == nil {
		return nil, false
	}
	r, ok := e.set.Rule(e.trigger)
	return r, ok && r.Schedule != nil
}

// ruleResults says what each rule bound to the trigger did.
func (e *evaluatedEntry) ruleResults() []journal.RuleResult {
	bound := e.cache.bound(e.set, e.source, e.trigger)
	if len(bound) == 0 {
		return nil
	}
	out := e.rule[:0]
	for _, r := range bound {
		rr := journal.RuleResult{Rule: r.Name, Result: journal.ResultWhenFalse}
		if slices.Contains(e.res.Matched, r.Name) {
			rr.Result = journal.ResultMatched
			if r.Mode == rules.ModeShadow {
				rr.Result = journal.ResultShadow
			}
		}
		for _, f := range e.res.Failures {
			if f.Rule == r.Name {
				rr.Result, rr.Error = journal.ResultRenderError, f.Err.Error()
				if f.Reason == rules.ReasonDecode {
					rr.Result = journal.ResultDecodeError
				}
			}
		}
		for i := range e.res.Notifications {
			if e.res.Notifications[i].Rule == r.Name {
				rr.Notifications++
			}
		}
		out = append(out, rr)
	}
	return out
}

// boundCache remembers the rules bound to each trigger of one rule set,
// so the journal does not look through every rule for every event. Only
// the journal's goroutine uses it.
type boundCache struct {
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
	if c.set != set || len(c.rules) >= maxBoundCache {
		c.set, c.rules = set, make(map[boundKey][]*rules.Rule)
	}
	key := boundKey{source, trigger}
	rs, ok := c.rules[key]
	if !ok {
		rs = boundRules(set, source, trigger)
		c.rules[key] = rs
	}
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

// settledEntry is delivery's outcomes for an event's notifications.
type settledEntry struct {
	id       string
	delivery journal.Delivery
	at       time.Time
	ns       []rules.Notification
	outs     []delivery.Outcome
}

func (e *settledEntry) Records(dst []journal.Record) []journal.Record {
	rec := journal.Record{Kind: journal.KindSettled, EventID: e.id, Time: e.at, Delivery: &e.delivery,
		Outcomes: make([]journal.Outcome, 0, len(e.outs))}
	n := 0 // outcomes come in notification order
	for i := range e.outs {
		o := &e.outs[i]
		for n < len(e.ns) && !sameNotification(&e.ns[n], o) {
			n++
		}
		idx := n
		if n == len(e.ns) {
			idx, n = -1, 0
		}
		out := outcomeOf(o, idx)
		if idx >= 0 {
			compactOutcome(&out, &e.ns[idx])
		}
		rec.Outcomes = append(rec.Outcomes, out)
	}
	return append(dst, rec)
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

// callEntry is one Kore call; it yields a record for each event it carried.
type callEntry delivery.CallRecord

func (c callEntry) Records(dst []journal.Record) []journal.Record {
	for _, it := range c.Items {
		call := &journal.Call{Seq: c.Seq, Rule: it.Rule, Channel: c.Channel, Attempt: it.Attempt,
			Identities: it.Identities, CallIdentities: c.Identities, Code: c.Code, JobID: c.JobID,
			Result: c.Result, RetryAfter: c.RetryAfter, Duration: c.Elapsed}
		if c.Err != nil {
			call.Error = c.Err.Error()
		}
		dst = append(dst, journal.Record{Kind: journal.KindCall, EventID: it.EventID, Time: c.Start, Call: call})
	}
	return dst
}

// sample is the first journal.MaxSample identities, without a copy: the
// identities of a notification or outcome are never changed.
func sample(ids []string) []string {
	n := min(len(ids), journal.MaxSample)
	return ids[:n:n]
}

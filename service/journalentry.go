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

func deliveryOf(m broker.Msg) journal.Delivery {
	return journal.Delivery{Seq: m.Sequence, Attempt: m.NumDelivered, Replayed: m.Replayed}
}

// evaluatedEntry is an evaluated (or undecodable) event. It is made for
// every event, so it holds little: its record's trigger, filled but for
// the preview, which is kept as a slice of the payload until the record
// is made, and the rules' result only when something matched or failed.
type evaluatedEntry struct {
	id       string
	delivery journal.Delivery
	done     time.Time // when it was evaluated
	trig     journal.Trigger
	preview  []byte // the payload's first previewBytes
	set      *rules.Set
	res      *rules.Result // nil: no rule matched or failed
	err      error         // the event could not be decoded
	cache    *boundCache   // the journal's
	rule     [1]journal.RuleResult
}

// newEvaluatedEntry is the entry of event m, evaluated (res, by set) or
// not decodable (err).
func newEvaluatedEntry(m broker.Msg, ev *rules.Event, set *rules.Set, res *rules.Result, err error, cache *boundCache) *evaluatedEntry {
	e := &evaluatedEntry{id: m.EventID, delivery: deliveryOf(m), done: time.Now(),
		trig:    journal.Trigger{Source: string(ev.Source), Name: ev.Trigger, Received: ev.Time, Size: len(m.Data)},
		preview: m.Data[:min(len(m.Data), previewBytes)], set: set, err: err, cache: cache}
	if m.Subject != ev.Trigger {
		e.trig.Subject = m.Subject
	}
	if res != nil && len(res.Matched)+len(res.Failures)+len(res.Notifications) > 0 {
		r := *res
		e.res = &r
	}
	return e
}

func (e *evaluatedEntry) Records(dst []journal.Record) []journal.Record {
	rec := journal.Record{Kind: journal.KindEvaluated, EventID: e.id, Time: e.done, Delivery: &e.delivery,
		Trigger: e.triggerOf()}
	if e.err != nil {
		rec.Error = e.err.Error()
		return append(dst, rec)
	}
	rec.Rules = e.ruleResults()
	if e.res != nil {
		for i := range e.res.Notifications {
			rec.Notifications = append(rec.Notifications, notificationOf(&e.res.Notifications[i]))
		}
	}
	return append(dst, rec)
}

func (e *evaluatedEntry) triggerOf() *journal.Trigger {
	t := &e.trig
	switch p := e.preview; {
	case !utf8.Valid(p):
		t.Preview = strings.ToValidUTF8(string(p), "\uFFFD")
	case len(p) < t.Size:
		t.Preview = string(p) + "…" // one allocation
	default:
		t.Preview = string(p)
	}
	if r, ok := e.cronRule(); ok {
		t.Schedule = scheduleText(r)
	}
	return t
}

func (e *evaluatedEntry) cronRule() (*rules.Rule, bool) {
	if rules.Source(e.trig.Source) != rules.SourceCron || e.set == nil {
		return nil, false
	}
	r, ok := e.set.Rule(e.trig.Name)
	return r, ok && r.Schedule != nil
}

// ruleResults says what each rule bound to the trigger did.
func (e *evaluatedEntry) ruleResults() []journal.RuleResult {
	bound := e.cache.bound(e.set, rules.Source(e.trig.Source), e.trig.Name)
	if len(bound) == 0 {
		return nil
	}
	var res rules.Result
	if e.res != nil {
		res = *e.res
	}
	out := e.rule[:0]
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

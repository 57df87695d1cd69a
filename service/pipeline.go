package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/metrics"
	"github.com/korelay/korelay/rules"
	"github.com/korelay/korelay/triggers"
)

// storeRetry is how soon an event whose dead letter could not be stored is
// redelivered.
const storeRetry = 5 * time.Second

// handle returns the consumer's handler: decode the event, evaluate the
// rules, dead-letter what failed, and hand the notifications to delivery;
// the event is settled (acked, or handed back) when delivery has settled
// every identity, without a goroutine waiting for it.
func (s *Service) handle(rt *runtime) broker.Handler {
	return func(ctx context.Context, m broker.Msg, done func(broker.Disposition)) {
		rt.handling.Add(1)
		ev, err := triggers.DecodeForRules(m.EventID, m.Subject, m.Header, m.Data, m.Received)
		if err != nil {
			rt.journal.undecodable(m, &ev, err)
			s.metrics.Events.WithLabelValues(string(ev.Source), metrics.OutcomeFailed).Inc()
			rt.finish(done, s.deadLetterEvent(ctx, rt, m, "", broker.ReasonDecode, err))
			return
		}
		set := s.Rules()
		res := set.Evaluate(&ev)
		rt.journal.evaluated(m, &ev, set, &res)
		s.countEvent(ev, res)
		for _, f := range res.Failures {
			if d := s.deadLetterEvent(ctx, rt, m, f.Rule, f.Reason, f.Err); d != broker.Ack() {
				rt.finish(done, d)
				return
			}
		}
		ns := res.Notifications
		if len(ns) > 0 && s.defers(ns) {
			if ns, err = s.holdAll(ctx, rt, m, ns); err != nil {
				s.log.Warn("notifications not held; the event will be redelivered", "event_id", ev.ID, "err", err)
				rt.finish(done, broker.Nak(storeRetry))
				return
			}
		}
		if len(ns) == 0 {
			rt.finish(done, broker.Ack())
			return
		}
		// What settling needs, and no more: an event waiting for Kore
		// must not hold its decoded payload.
		d := &eventDelivery{s: s, rt: rt, ctx: ctx, m: m, rendered: res.Notifications, done: done}
		rt.engine.DeliverAsync(ctx, ns, delivery.DeliverOptions{Redelivered: m.NumDelivered > 1 || m.Replayed}, d.delivered)
	}
}

// finish hands the handler's verdict on an event to the consumer.
func (rt *runtime) finish(done func(broker.Disposition), d broker.Disposition) {
	rt.handling.Add(-1)
	done(d)
}

// eventDelivery is an event handed to delivery, until it is settled.
type eventDelivery struct {
	s        *Service
	rt       *runtime
	ctx      context.Context
	m        broker.Msg
	rendered []rules.Notification // what the rules produced, for the journal
	done     func(broker.Disposition)
}

// delivered is delivery's callback. It runs where delivery settled the
// last identity, often the goroutine that receives the ledger's
// acknowledgements: what waits for JetStream (a dead letter to store, or
// an exhausted event's on a redelivery) goes to a goroutine of its own,
// the rest is done here.
func (d *eventDelivery) delivered(outs []delivery.Outcome, err error) {
	if err != nil || hasDeadLetter(outs) {
		go d.settle(outs, err)
		return
	}
	d.settle(outs, nil)
}

// settle journals delivery's outcomes and settles the event.
func (d *eventDelivery) settle(outs []delivery.Outcome, err error) {
	s, rt := d.s, d.rt
	if err != nil {
		rt.journal.interrupted(d.m, err)
		s.log.Warn("delivery interrupted; the event will be redelivered", "event_id", d.m.EventID, "err", err)
		rt.finish(d.done, broker.Nak(time.Second))
		return
	}
	rt.journal.settled(d.m, d.rendered, outs)
	rt.finish(d.done, s.settle(d.ctx, rt, d.m, outs))
}

// hasDeadLetter reports whether an outcome must be stored as a dead letter.
func hasDeadLetter(outs []delivery.Outcome) bool {
	for i := range outs {
		if outs[i].Status == delivery.StatusDeadLetter {
			return true
		}
	}
	return false
}

// countEvent counts an evaluated event: matched when a rule matched, failed
// when none did and a rule could not read the payload, else no_match.
func (s *Service) countEvent(ev rules.Event, res rules.Result) {
	outcome := metrics.OutcomeNoMatch
	switch {
	case len(res.Matched) > 0:
		outcome = metrics.OutcomeMatched
	case hasDecodeFailure(res):
		outcome = metrics.OutcomeFailed
	}
	s.metrics.Events.WithLabelValues(string(ev.Source), outcome).Inc()
	for _, r := range res.Matched {
		s.metrics.RuleMatches.WithLabelValues(r).Inc()
	}
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		s.log.Debug("event evaluated", "event_id", ev.ID, "source", ev.Source, "trigger", ev.Trigger,
			"matched", len(res.Matched), "notifications", len(res.Notifications))
	}
}

func hasDecodeFailure(res rules.Result) bool {
	for _, f := range res.Failures {
		if f.Reason == rules.ReasonDecode {
			return true
		}
	}
	return false
}

// settle logs each outcome and dead-letters the failed ones.
func (s *Service) settle(ctx context.Context, rt *runtime, m broker.Msg, outs []delivery.Outcome) broker.Disposition {
	for _, o := range outs {
		switch o.Status {
		case delivery.StatusSent:
			// The line of every notification goes to the handler straight:
			// no boxing, and no caller's frame to look up (no handler of
			// korelay's adds the source).
			if h := s.log.Handler(); h.Enabled(ctx, slog.LevelInfo) {
				r := slog.NewRecord(time.Now(), slog.LevelInfo, "notified", 0)
				r.AddAttrs(slog.String("event_id", o.EventID), slog.String("rule", o.Rule),
					slog.String("channel", o.Channel), slog.Int("identities", len(o.Identities)), slog.String("job_id", o.JobID))
				_ = h.Handle(ctx, r)
			}
		case delivery.StatusDryRun:
			s.log.Info("dry run: would notify", "event_id", o.EventID, "rule", o.Rule, "channel", o.Channel,
				"identities", len(o.Identities))
		case delivery.StatusShadow:
			s.log.Info("shadow rule matched; not sent", "event_id", o.EventID, "rule", o.Rule, "identities", len(o.Identities))
		case delivery.StatusDuplicate:
			s.log.Info("already notified; suppressed by the ledger", "event_id", o.EventID, "rule", o.Rule,
				"key", o.DedupKey, "identities", len(o.Identities), "job_id", o.JobID)
		case delivery.StatusDeadLetter:
			if err := rt.dead.put(ctx, deadLetterFor(m, o)); err != nil {
				s.log.Error("dead letter not stored; the event will be redelivered", "event_id", o.EventID, "rule", o.Rule, "err", err)
				return broker.Nak(storeRetry)
			}
		}
	}
	return broker.Ack()
}

// deadLetterEvent dead-letters a whole event (or one rule's failure on it).
func (s *Service) deadLetterEvent(ctx context.Context, rt *runtime, m broker.Msg, rule, reason string, cause error) broker.Disposition {
	dl := broker.DeadLetter{
		EventID: m.EventID, Rule: rule, Reason: reason, Error: cause.Error(), Time: time.Now(),
		Subject: m.Subject, Header: m.Header, Data: m.Data, Attempts: int(m.NumDelivered),
	}
	if err := rt.dead.put(ctx, dl); err != nil {
		s.log.Error("dead letter not stored; the event will be redelivered", "event_id", m.EventID, "rule", rule, "err", err)
		return broker.Nak(storeRetry)
	}
	return broker.Ack()
}

func deadLetterFor(m broker.Msg, o delivery.Outcome) broker.DeadLetter {
	dl := broker.DeadLetter{
		EventID: o.EventID, Rule: o.Rule, Reason: o.Reason, Response: o.Response,
		Channel: o.Channel, MessageType: o.MessageType, Message: o.Message,
		Identities: o.Identities, Attempts: o.Attempts, Time: time.Now(),
		Subject: m.Subject, Header: m.Header, Data: m.Data,
	}
	if o.Err != nil {
		dl.Error = o.Err.Error()
	}
	return dl
}

// eventExhausted counts an event the broker dead-lettered because its
// redeliveries ran out before delivery settled.
func (s *Service) eventExhausted(eventID string) {
	s.metrics.DeadLetters.WithLabelValues("", broker.ReasonExhausted).Inc()
	s.log.Error("dead-lettered: redelivery limit reached", "event_id", eventID, "reason", broker.ReasonExhausted)
}

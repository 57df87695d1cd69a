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
		finish := func(d broker.Disposition) {
			rt.handling.Add(-1)
			done(d)
		}
		ev, err := triggers.DecodeForRules(m.EventID, m.Subject, m.Header, m.Data, m.Received)
		if err != nil {
			rt.journal.undecodable(m, &ev, err)
			s.metrics.Events.WithLabelValues(string(ev.Source), metrics.OutcomeFailed).Inc()
			finish(s.deadLetterEvent(ctx, rt, m, "", broker.ReasonDecode, err))
			return
		}
		set := s.Rules()
		res := set.Evaluate(&ev)
		rt.journal.evaluated(m, &ev, set, &res)
		s.countEvent(ev, res)
		for _, f := range res.Failures {
			if d := s.deadLetterEvent(ctx, rt, m, f.Rule, f.Reason, f.Err); d != broker.Ack() {
				finish(d)
				return
			}
		}
		ns := res.Notifications
		if len(ns) > 0 && s.defers(ns) {
			if ns, err = s.holdAll(ctx, rt, m, ns); err != nil {
				s.log.Warn("notifications not held; the event will be redelivered", "event_id", ev.ID, "err", err)
				finish(broker.Nak(storeRetry))
				return
			}
		}
		if len(ns) == 0 {
			finish(broker.Ack())
			return
		}
		opts := delivery.DeliverOptions{Redelivered: m.NumDelivered > 1 || m.Replayed}
		// The callback keeps only what it uses: an event waiting for Kore
		// must not hold its decoded payload.
		eventID, rendered := ev.ID, res.Notifications
		settle := func(outs []delivery.Outcome, err error) {
			if err != nil {
				rt.journal.interrupted(m, err)
				s.log.Warn("delivery interrupted; the event will be redelivered", "event_id", eventID, "err", err)
				finish(broker.Nak(time.Second))
				return
			}
			rt.journal.settled(m, rendered, outs)
			finish(s.settle(ctx, rt, m, outs))
		}
		rt.engine.DeliverAsync(ctx, ns, opts, func(outs []delivery.Outcome, err error) {
			// The callback runs where delivery settled the last identity,
			// often the goroutine that receives the ledger's
			// acknowledgements: what waits for JetStream (a dead letter
			// to store, or an exhausted event's on a redelivery) goes to
			// a goroutine of its own, the rest is done here.
			if err != nil || hasDeadLetter(outs) {
				go settle(outs, err)
				return
			}
			settle(outs, nil)
		})
	}
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
			s.log.Info("notified", "event_id", o.EventID, "rule", o.Rule, "channel", o.Channel,
				"identities", len(o.Identities), "job_id", o.JobID)
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

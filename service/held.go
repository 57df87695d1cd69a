package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/rules"
)

// heldItem is a held notification as the held store keeps it: the
// notification, and the event it came from (for a digest's .event, and for
// the dead letter should it fail when released).
type heldItem struct {
	Notification rules.Notification `json:"notification"`
	DedupFor     time.Duration      `json:"dedup_for,omitempty"`
	Event        heldEvent          `json:"event"`
	HeldAt       time.Time          `json:"held_at"`
}

// heldEvent is the event message a held notification came from.
type heldEvent struct {
	Subject  string      `json:"subject"`
	Header   nats.Header `json:"header,omitempty"`
	Data     []byte      `json:"data,omitempty"`
	Received time.Time   `json:"received"`
	Attempts int         `json:"attempts,omitempty"`
}

// msg is the event as the consumer handed it on.
func (e heldEvent) msg(eventID string) broker.Msg {
	return broker.Msg{EventID: eventID, Subject: e.Subject, Header: e.Header, Data: e.Data, Received: e.Received, NumDelivered: uint64(e.Attempts)}
}

// heldStore picks where held notifications live: JetStream for a live
// JetStream service; memory for a dry run (which must change nothing
// shared) and for core NATS (where nothing is stored).
func heldStore(tr broker.Transport, s *Service) (broker.HeldStore, error) {
	if b, ok := tr.(*broker.Broker); ok {
		return b.Held()
	}
	if tr.Mode() == broker.ModeCore && s.Rules().Defers() {
		s.log.Warn("core NATS: notifications held by quiet hours and digests are kept in memory and lost on a restart")
	}
	return broker.NewMemoryHeld(s.opts.ShutdownTimeout), nil
}

// setupHeld picks the held store; without one, rules that hold are
// refused.
func (rt *runtime) setupHeld() error {
	s := rt.s
	rt.held, rt.heldErr = heldStore(rt.transport, s)
	if err := checkHeld(s.Rules(), rt.heldErr); err != nil {
		return err
	}
	if rt.heldErr != nil {
		s.log.Warn("rules with quiet_hours or digest cannot be loaded", "err", rt.heldErr)
	}
	return nil
}

// launchHeld starts releasing held notifications, and the gauge that
// counts them, until ctx ends; rt.released is closed once releases under
// way are drained.
func (rt *runtime) launchHeld(ctx context.Context) {
	if rt.held == nil {
		close(rt.released)
		return
	}
	go func() {
		defer close(rt.released)
		if err := rt.held.Release(ctx, rt.s.release(rt)); err != nil && ctx.Err() == nil {
			rt.errc <- fmt.Errorf("release held notifications: %w", err)
		}
	}()
	rt.goRun(func() error { rt.s.watchHeld(ctx, rt); return nil })
}

// checkHeld refuses rules that hold notifications when there is nowhere to
// keep them.
func checkHeld(set *rules.Set, heldErr error) error {
	if heldErr != nil && set.Defers() {
		return fmt.Errorf("rules use quiet_hours or digest, but held notifications cannot be kept: %w", heldErr)
	}
	return nil
}

// defers reports whether any of ns waits.
func (s *Service) defers(ns []rules.Notification) bool {
	for i := range ns {
		if ns[i].Hold != nil {
			return true
		}
	}
	return false
}

// holdAll holds the notifications that wait (quiet hours, digests) and
// returns those to send now. Shadow notifications are never held: they
// are only counted. An error means the event must come back later; what
// was held is held again then, once.
func (s *Service) holdAll(ctx context.Context, rt *runtime, m broker.Msg, ns []rules.Notification) ([]rules.Notification, error) {
	now := ns[:0:0]
	for i := range ns {
		n := &ns[i]
		if n.Hold == nil || n.Mode == rules.ModeShadow || rt.held == nil {
			now = append(now, *n)
			continue
		}
		if err := s.hold(ctx, rt, m, n); err != nil {
			return nil, err
		}
	}
	return now, nil
}

// hold keeps one notification until its Hold.Until.
func (s *Service) hold(ctx context.Context, rt *runtime, m broker.Msg, n *rules.Notification) error {
	slot := broker.HeldSlot{Kind: broker.HeldQuiet, Due: n.Hold.Until}
	if n.Hold.Reason == rules.HoldDigest {
		slot = broker.HeldSlot{Kind: broker.HeldDigest, Group: n.Rule, Due: n.Hold.Until}
	}
	item := heldItem{Notification: *n, DedupFor: n.DedupFor, HeldAt: s.opts.Now(),
		Event: heldEvent{Subject: m.Subject, Header: m.Header, Data: m.Data, Received: m.Received, Attempts: int(m.NumDelivered)}}
	item.Notification.Hold = nil
	data, err := json.Marshal(item)
	if err != nil {
		return fmt.Errorf("hold %s: %w", n.Rule, err)
	}
	// The slot is due on the service's clock; the store waits on the
	// machine's.
	at := n.Hold.Until.Add(time.Since(s.opts.Now()))
	if err := rt.held.Hold(ctx, slot, at, broker.HeldItem{Key: itemKey(slot, n), Data: data}); err != nil {
		return fmt.Errorf("hold %s until %s: %w", n.Rule, n.Hold.Until.Format(time.RFC3339), err)
	}
	s.log.Info("held", "event_id", n.EventID, "rule", n.Rule, "reason", n.Hold.Reason,
		"until", n.Hold.Until.Format(time.RFC3339), "zone", n.Hold.Zone, "identities", len(n.Identities))
	rt.journal.held(n, slot)
	return nil
}

// itemKey identifies a held notification within its slot, the same
// whenever its event is evaluated again.
func itemKey(slot broker.HeldSlot, n *rules.Notification) string {
	h := sha256.New()
	for _, s := range []string{slot.String(), n.Rule, n.EventID, n.DedupKey, n.Channel, n.MessageType, n.Message} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, id := range n.Identities {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// decodeItems reads held items, logging (and skipping) any that cannot be
// read: they were written by this code and cannot be retried into shape.
func (s *Service) decodeItems(slot broker.HeldSlot, items []broker.HeldItem) []heldItem {
	out := make([]heldItem, 0, len(items))
	for _, it := range items {
		var h heldItem
		if err := json.Unmarshal(it.Data, &h); err != nil {
			s.log.Error("held notification unreadable; dropped", "slot", slot.String(), "key", it.Key, "err", err)
			continue
		}
		h.Notification.DedupFor = h.DedupFor
		out = append(out, h)
	}
	return out
}

// release returns what the held store calls when a slot falls due.
func (s *Service) release(rt *runtime) broker.ReleaseFunc {
	return func(ctx context.Context, slot broker.HeldSlot, items []broker.HeldItem, done func(bool)) {
		held := s.decodeItems(slot, items)
		if len(held) == 0 {
			done(true)
			return
		}
		if slot.Kind == broker.HeldDigest {
			s.releaseDigest(ctx, rt, slot, held, done)
			return
		}
		s.deliverReleased(ctx, rt, slot, held, done)
	}
}

// deliverReleased hands the notifications of a quiet-hours slot to
// delivery.
func (s *Service) deliverReleased(ctx context.Context, rt *runtime, slot broker.HeldSlot, held []heldItem, done func(bool)) {
	ns := make([]rules.Notification, len(held))
	events := make(map[string]heldEvent, len(held))
	for i, h := range held {
		ns[i] = h.Notification
		events[h.Notification.EventID] = h.Event
	}
	s.log.Info("releasing held notifications", "slot", slot.String(), "notifications", len(ns))
	s.deliverNotes(ctx, rt, slot, ns, events, done)
}

// deliverNotes hands released notifications to delivery in one batch, so
// that the ledger, the budget and coalescing see them together (5,000
// held identities of one text are 5 calls), settles their outcomes as an
// event's are settled, and reports whether every one was settled.
func (s *Service) deliverNotes(ctx context.Context, rt *runtime, slot broker.HeldSlot, ns []rules.Notification, events map[string]heldEvent, done func(bool)) {
	settleRelease := func(outs []delivery.Outcome, err error) {
		if err != nil {
			s.log.Warn("release interrupted; it will be retried", "slot", slot.String(), "err", err)
			done(false)
			return
		}
		ok := true
		for id, group := range outcomesByEvent(outs) {
			rt.journal.released(slot, group)
			if s.settle(ctx, rt, events[id].msg(id), group) != broker.Ack() {
				ok = false
			}
		}
		done(ok)
	}
	// Redelivered: a slot released again after a failure or a crash may
	// have been partly sent, so the ledger is always consulted.
	rt.engine.DeliverAsync(ctx, ns, delivery.DeliverOptions{Redelivered: true}, func(outs []delivery.Outcome, err error) {
		// Settling a release stores dead letters and acknowledges held
		// notifications, waiting for JetStream: not on the goroutine
		// that settled the delivery (see handle).
		go settleRelease(outs, err)
	})
}

// outcomesByEvent groups outcomes by their event.
func outcomesByEvent(outs []delivery.Outcome) map[string][]delivery.Outcome {
	m := map[string][]delivery.Outcome{}
	for _, o := range outs {
		m[o.EventID] = append(m[o.EventID], o)
	}
	return m
}

// heldGaugeEvery is how often korelay_held_notifications is refreshed.
const heldGaugeEvery = 2 * time.Second

// watchHeld keeps korelay_held_notifications up to date until ctx ends.
func (s *Service) watchHeld(ctx context.Context, rt *runtime) {
	t := time.NewTicker(heldGaugeEvery)
	defer t.Stop()
	for {
		if n, err := rt.held.Held(ctx); err == nil {
			for _, kind := range []string{broker.HeldQuiet, broker.HeldDigest} {
				s.metrics.HeldNotifications.WithLabelValues(kind).Set(float64(n[kind]))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

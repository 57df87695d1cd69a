package service

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/rules"
	"github.com/korelay/korelay/triggers"
)

// digestDedupFor is how long a digest's idempotency keys are kept.
const digestDedupFor = 24 * time.Hour

// digestEntry is what one identity's digest is made of.
type digestEntry struct {
	identity string
	channel  string
	items    []heldItem
}

// releaseDigest renders one digest per identity from the items a digest
// rule collected in a period and hands them to delivery in one batch. A
// digest that cannot be rendered is dead-lettered (reason render).
func (s *Service) releaseDigest(ctx context.Context, rt *runtime, slot broker.HeldSlot, held []heldItem, done func(bool)) {
	// In the order their events arrived (were stored), whichever worker
	// held them first.
	slices.SortStableFunc(held, func(a, b heldItem) int {
		return cmp.Or(a.Event.Received.Compare(b.Event.Received), a.HeldAt.Compare(b.HeldAt))
	})
	set := s.Rules()
	id := "digest:" + slot.Group + ":" + strconv.FormatInt(slot.Due.Unix(), 10)
	var ns []rules.Notification
	for _, e := range digestEntries(held) {
		n, err := s.digestNotification(set, slot, id, e)
		if err != nil {
			dl := broker.DeadLetter{EventID: id, Rule: slot.Group, Reason: broker.ReasonRender, Error: err.Error(),
				Channel: e.channel, Identities: []string{e.identity}, Time: time.Now()}
			if rt.dead.put(ctx, dl) != nil {
				done(false)
				return
			}
			continue
		}
		ns = append(ns, n)
	}
	if len(ns) == 0 {
		done(true)
		return
	}
	s.log.Info("releasing digests", "slot", slot.String(), "identities", len(ns), "items", len(held))
	// A digest's dead letter names the rule and period, not one event.
	s.deliverNotes(ctx, rt, slot, ns, map[string]heldEvent{id: {}}, done)
}

// digestEntries groups items by identity, in the order identities first
// appear; each identity's items keep their order.
func digestEntries(held []heldItem) []*digestEntry {
	var order []*digestEntry
	by := map[string]*digestEntry{}
	for _, h := range held {
		for _, id := range h.Notification.Identities {
			k := h.Notification.Channel + "\x00" + id
			e, ok := by[k]
			if !ok {
				e = &digestEntry{identity: id, channel: h.Notification.Channel}
				by[k] = e
				order = append(order, e)
			}
			e.items = append(e.items, h)
		}
	}
	return order
}

// digestNotification renders one identity's digest. Its dedup key names
// the period and the items it holds: a release repeated after a crash is
// suppressed by the ledger, while items that arrive after the period was
// released make a digest of their own.
func (s *Service) digestNotification(set *rules.Set, slot broker.HeldSlot, id string, e *digestEntry) (rules.Notification, error) {
	items := make([]rules.DigestItem, len(e.items))
	keys := sha256.New()
	for i, h := range e.items {
		ev, err := triggers.Decode(h.Notification.EventID, h.Event.Subject, h.Event.Header, h.Event.Data, h.Event.Received)
		if err != nil {
			return rules.Notification{}, fmt.Errorf("digest of %s: event %s: %w", slot.Group, h.Notification.EventID, err)
		}
		items[i] = rules.DigestItem{Text: h.Notification.Message, Event: ev.Payload}
		keys.Write([]byte(h.Notification.EventID + "\x00" + h.Notification.DedupKey + "\x00"))
	}
	msg, err := set.RenderDigest(slot.Group, items, slot.Due)
	if err != nil {
		return rules.Notification{}, err
	}
	return rules.Notification{
		EventID: id, Rule: slot.Group, Mode: rules.ModeLive, Action: rules.ActionNotify,
		Channel: e.channel, MessageType: msg.MessageType, Message: msg.Message, Identities: []string{e.identity},
		DedupKey: "digest:" + strconv.FormatInt(slot.Due.Unix(), 10) + ":" + hex.EncodeToString(keys.Sum(nil)[:8]),
		DedupFor: digestDedupFor,
	}, nil
}

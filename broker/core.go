package broker

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"
)

// ConsumeCore delivers messages on subjects to h over plain core NATS, for
// deployments without JetStream (nats.jetstream: false), until ctx ends.
// Replicas passing the same queue (empty: "korelay") share the messages.
//
// Core NATS is at-most-once: a message is gone once received, whatever the
// handler returns (the Disposition is ignored and Msg.LastAttempt is always
// set), and messages published while korelay is down or disconnected are
// lost. A message carrying HeaderEventID (as korelay's own webhook and cron
// events do) keeps that event id; others get a new CoreEventID.
//
// When ctx ends, ConsumeCore drains its subscriptions, waits up to
// DefaultDrainTimeout for running handlers, then cancels their context and
// returns nil.
func ConsumeCore(ctx context.Context, nc *nats.Conn, subjects []string, queue string, h Handler) error {
	subjects, err := normalizeSubjects(subjects)
	if err != nil {
		return fmt.Errorf("core nats subjects: %w", err)
	}
	if queue == "" {
		queue = DefaultConsumer
	}
	hctx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()
	w := newWorkers(DefaultMaxAckPending)
	deliver := func(m *nats.Msg) {
		if !w.acquire(hctx) {
			return
		}
		go func() {
			defer w.release()
			h(hctx, coreMsg(m))
		}()
	}
	subs := make([]*nats.Subscription, 0, len(subjects))
	for _, subject := range subjects {
		sub, err := nc.QueueSubscribe(subject, queue, deliver)
		if err != nil {
			for _, s := range subs {
				_ = s.Unsubscribe()
			}
			return fmt.Errorf("subscribe %s: %w", subject, err)
		}
		subs = append(subs, sub)
	}
	<-ctx.Done()
	deadline := time.Now().Add(DefaultDrainTimeout)
	drainSubscriptions(subs, DefaultDrainTimeout)
	if !w.wait(time.Until(deadline)) {
		cancelHandlers()
	}
	return nil
}

// drainSubscriptions stops interest on subs and waits up to timeout for the
// messages they already received to reach their callbacks.
func drainSubscriptions(subs []*nats.Subscription, timeout time.Duration) {
	closed := make([]<-chan nats.SubStatus, len(subs))
	for i, s := range subs {
		closed[i] = s.StatusChanged(nats.SubscriptionClosed)
		_ = s.Drain()
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	for _, c := range closed {
		select {
		case <-c:
		case <-t.C:
			return
		}
	}
}

// HeaderEventID carries the event id of an event published on core NATS,
// where no stream sequence exists: the id a webhook answered with is the id
// its logs and dead letters carry.
const HeaderEventID = "Korelay-Event-Id"

// CoreEventID returns a new unique event id for core-NATS mode,
// "core-<nuid>".
func CoreEventID() string { return "core-" + nuid.Next() }

func coreMsg(m *nats.Msg) Msg {
	id := m.Header.Get(HeaderEventID)
	if id == "" {
		id = CoreEventID()
	}
	return Msg{
		EventID:      id,
		Subject:      m.Subject,
		Header:       m.Header,
		Data:         m.Data,
		Received:     time.Now(),
		NumDelivered: 1,
		LastAttempt:  true,
	}
}

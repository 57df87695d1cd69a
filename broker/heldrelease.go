package broker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Release takes the slots that fall due from the held consumer, which
// replicas share (each slot goes to one of them), and hands each to fn
// with its items, at most a few at once. A slot is acknowledged, and its
// items dropped, only after fn reported them handled; a release that
// fails or is cut short (a crash, a stop) comes back, to this or another
// replica, and the delivery ledger suppresses what was already sent. When
// ctx ends, Release waits up to the drain timeout for the releases under
// way, hands back those still running and returns.
func (h *JetStreamHeld) Release(ctx context.Context, fn ReleaseFunc) error {
	c, err := h.js.Consumer(ctx, h.opts.Stream, h.opts.Consumer)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("held consumer %s: %w", h.opts.Consumer, err)
	}
	it, err := c.Messages(
		jetstream.PullMaxMessages(releaseParallel),
		jetstream.PullHeartbeat(pullHeartbeat),
		jetstream.WithMessagesErrOnMissingHeartbeat(false),
	)
	if err != nil {
		return fmt.Errorf("held consumer %s: %w", h.opts.Consumer, err)
	}
	defer it.Stop()
	defer context.AfterFunc(ctx, it.Drain)()
	var wg sync.WaitGroup
	defer waitFor(&wg, h.opts.DrainTimeout+time.Second)
	sweepCtx, stopSweep := context.WithCancel(ctx)
	defer stopSweep()
	wg.Go(func() { h.sweepEvery(sweepCtx, c) })
	slots := make(chan struct{}, releaseParallel)
	for {
		jm, err := it.Next()
		switch {
		case err == nil:
		case errors.Is(err, jetstream.ErrMsgIteratorClosed) && ctx.Err() != nil:
			return nil
		case errors.Is(err, jetstream.ErrMsgIteratorClosed), errors.Is(err, jetstream.ErrConsumerDeleted),
			errors.Is(err, jetstream.ErrConsumerNotFound):
			return fmt.Errorf("held consumer %s: %w", h.opts.Consumer, err)
		default:
			h.opts.Logger.Warn("nats pull interrupted", "stream", h.opts.Stream, "err", err)
			continue
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			_ = jm.Nak()
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			h.release(ctx, jm, fn)
		})
	}
}

// release hands one due slot to fn and settles its message as fn says,
// keeping it alive meanwhile.
func (h *JetStreamHeld) release(ctx context.Context, jm jetstream.Msg, fn ReleaseFunc) {
	slot, err := parseSlot(strings.TrimPrefix(jm.Subject(), heldDue))
	if err != nil {
		h.opts.Logger.Error("not a held slot; dropped", "subject", jm.Subject(), "err", err)
		_ = jm.TermWithReason("korelay: not a held slot")
		return
	}
	ka := startKeepAlive(jm, h.opts.AckWait/3)
	defer ka.stop()
	items, last, err := h.read(ctx, slot)
	if err != nil {
		h.opts.Logger.Warn("held notifications not read; retrying", "slot", slot.String(), "err", err)
		_ = jm.NakWithDelay(releaseRetry)
		return
	}
	if len(items) > 0 && !h.handOver(ctx, slot, items, fn) {
		_ = jm.NakWithDelay(releaseRetry)
		return
	}
	if len(items) > 0 {
		if err := h.drop(context.WithoutCancel(ctx), slot, last); err != nil {
			// Acknowledged anyway: the items come back with the slot's next
			// schedule, and the ledger suppresses what was sent.
			h.opts.Logger.Warn("released notifications not dropped", "slot", slot.String(), "err", err)
		}
	}
	_ = jm.Ack()
}

// handOver calls fn and waits for its verdict; once ctx ends it waits at
// most the drain timeout, then reports false.
func (h *JetStreamHeld) handOver(ctx context.Context, slot HeldSlot, items []HeldItem, fn ReleaseFunc) bool {
	verdict := make(chan bool, 1)
	var once sync.Once
	fn(ctx, slot, items, func(ok bool) { once.Do(func() { verdict <- ok }) })
	select {
	case ok := <-verdict:
		return ok
	case <-ctx.Done():
	}
	t := time.NewTimer(h.opts.DrainTimeout)
	defer t.Stop()
	select {
	case ok := <-verdict:
		return ok
	case <-t.C:
		return false
	}
}

// sweepEvery sweeps at the sweep interval until ctx ends.
func (h *JetStreamHeld) sweepEvery(ctx context.Context, c jetstream.Consumer) {
	t := time.NewTicker(h.opts.Sweep)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			h.sweep(ctx, c)
		}
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// publisher publishes the order events with PublishAsync, at most
// `pending` unacknowledged at a time.
type publisher struct {
	js     jetstream.JetStream
	clock  *clock
	set    orders
	failed atomic.Int64 // publishes the server did not acknowledge
	buf    []byte
}

// newPublisher makes a JetStream publisher on nc.
func newPublisher(nc *nats.Conn, c *clock, set orders, pending int) (*publisher, error) {
	p := &publisher{clock: c, set: set}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(pending),
		jetstream.WithPublishAsyncTimeout(30*time.Second),
		jetstream.WithPublishAsyncErrHandler(func(jetstream.JetStream, *nats.Msg, error) { p.failed.Add(1) }))
	if err != nil {
		return nil, err
	}
	p.js = js
	return p, nil
}

// publish sends event i, waiting while too many acks are pending.
func (p *publisher) publish(ctx context.Context, i int) error {
	p.buf = p.set.payload(p.buf[:0], i)
	for {
		p.clock.markPublished(i)
		// PublishAsync copies the data into the connection's buffer.
		_, err := p.js.PublishAsync(subject(i), p.buf, jetstream.WithStallWait(time.Second))
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
			return fmt.Errorf("publish event %d: %w", i, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// runMax publishes every event as fast as the pending bound allows.
func (p *publisher) runMax(ctx context.Context) error {
	for i := range p.set.n {
		if err := p.publish(ctx, i); err != nil {
			return err
		}
	}
	return p.complete(ctx)
}

// runPaced publishes on a ticker, each tick the events due by then, so the
// average rate is exactly rate events per second.
func (p *publisher) runPaced(ctx context.Context, rate float64, tick time.Duration) error {
	t := time.NewTicker(tick)
	defer t.Stop()
	start := time.Now()
	for sent := 0; sent < p.set.n; {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		due := min(p.set.n, int(time.Since(start).Seconds()*rate)+1)
		for ; sent < due; sent++ {
			if err := p.publish(ctx, sent); err != nil {
				return err
			}
		}
	}
	return p.complete(ctx)
}

// complete waits until every publish was acknowledged (or failed).
func (p *publisher) complete(ctx context.Context) error {
	select {
	case <-p.js.PublishAsyncComplete():
	case <-ctx.Done():
		return fmt.Errorf("waiting for publish acks: %w", ctx.Err())
	}
	if f := p.failed.Load(); f > 0 {
		return fmt.Errorf("%d publishes were not acknowledged by JetStream", f)
	}
	return nil
}

package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Consume delivers events from the durable consumer (on the ingest stream,
// and on ExternalStream when set) to h until ctx ends. Replicas calling
// Consume with the same Options share the consumer: each event goes to one
// of them. Up to MaxAckPending handlers run at once; a handler running long
// is kept alive with progress acks so the server does not redeliver its event.
//
// When ctx ends, Consume stops fetching, hands buffered events back (Nak),
// waits up to DrainTimeout for running handlers, then cancels their context
// and waits until every handler has returned and settled its event, so the
// caller may close the connection after Consume returns. It returns nil
// then, and an error when the consumer fails (deleted, connection closed).
func (b *Broker) Consume(ctx context.Context, h Handler) error {
	hctx, cancelHandlers := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelHandlers()
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	r := &run{b: b, h: h, hctx: hctx, w: newWorkers(b.opts.MaxAckPending), held: newHolds()}
	defer r.held.release()
	errc := make(chan error, 2)
	go func() { errc <- r.consumeStream(pctx, b.opts.Stream) }()
	pullers := 1
	if b.opts.ExternalStream != "" {
		pullers++
		go func() { errc <- r.consumeExternal(pctx) }()
	}
	var errs []error
	for range pullers {
		if err := <-errc; err != nil {
			errs = append(errs, err)
			stop()
		}
	}
	if !r.w.wait(b.opts.DrainTimeout) {
		cancelHandlers()
		r.w.waitAll()
	}
	return errors.Join(errs...)
}

// run is one Consume call.
type run struct {
	b    *Broker
	h    Handler
	hctx context.Context // handlers' context: outlives ctx by the drain time
	w    *workers
	held *holds
}

// consumeStream runs the durable consumer on stream.
func (r *run) consumeStream(ctx context.Context, stream string) error {
	c, err := r.b.js.Consumer(ctx, stream, r.b.opts.Consumer)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("consumer %s on stream %s: %w", r.b.opts.Consumer, stream, err)
	}
	return r.pull(ctx, c, stream)
}

// consumeExternal runs the consumer on ExternalStream, waiting for
// UpdateSubjects to create it when no rule had a NATS subject yet.
func (r *run) consumeExternal(ctx context.Context) error {
	for {
		changed := r.b.subjectsChanged()
		_, err := r.b.js.Consumer(ctx, r.b.opts.ExternalStream, r.b.opts.Consumer)
		if !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return r.consumeStream(ctx, r.b.opts.ExternalStream)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil
		}
	}
}

// pull feeds deliveries from c to handlers until ctx ends.
func (r *run) pull(ctx context.Context, c jetstream.Consumer, stream string) error {
	it, err := c.Messages(
		jetstream.PullMaxMessages(min(r.b.opts.MaxAckPending, maxPullBatch)),
		jetstream.PullHeartbeat(pullHeartbeat),
		jetstream.WithMessagesErrOnMissingHeartbeat(false),
	)
	if err != nil {
		return fmt.Errorf("consume stream %s: %w", stream, err)
	}
	defer it.Stop()
	defer context.AfterFunc(ctx, it.Drain)()
	if stream == r.b.opts.Stream {
		r.b.started.done()
	}
	for {
		jm, err := it.Next()
		switch {
		case err == nil:
		case errors.Is(err, jetstream.ErrMsgIteratorClosed) && ctx.Err() != nil:
			return nil
		case errors.Is(err, jetstream.ErrMsgIteratorClosed),
			errors.Is(err, jetstream.ErrConsumerDeleted),
			errors.Is(err, jetstream.ErrConsumerNotFound),
			errors.Is(err, jetstream.ErrBadRequest):
			return fmt.Errorf("consume stream %s: %w", stream, err)
		default:
			// Transient: the iterator pulls again by itself.
			r.b.opts.Logger.Warn("nats pull interrupted", "stream", stream, "err", err)
			continue
		}
		if ctx.Err() != nil || !r.w.acquire(ctx) {
			_ = jm.Nak() // stopping: hand it back for another replica now
			continue
		}
		go func() {
			defer r.w.release()
			r.handle(jm)
		}()
	}
}

// Pull tuning. maxPullBatch bounds the events buffered ahead of the
// handlers. pullHeartbeat is the server's idle heartbeat on a waiting pull:
// two missed beats make the iterator pull afresh. Under load, nats.go
// v1.55's iterator was seen believing a pull outstanding that the server
// no longer held, idling until the default 15 s heartbeat was missed twice;
// 1 s bounds such a stall to about 2 s.
const (
	maxPullBatch  = 512
	pullHeartbeat = time.Second
)

// workers bounds concurrently running handlers. Waiting for all of them is
// taking every slot.
type workers struct{ sem chan struct{} }

func newWorkers(n int) *workers { return &workers{sem: make(chan struct{}, max(n, 1))} }

// acquire takes a slot, or reports false when ctx ends first.
func (w *workers) acquire(ctx context.Context) bool {
	select {
	case w.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (w *workers) release() { <-w.sem }

// waitAll waits until every running handler has finished; no handler can
// start after it returns.
func (w *workers) waitAll() {
	for range cap(w.sem) {
		w.sem <- struct{}{}
	}
}

// wait reports whether every running handler finished within timeout, as
// waitAll would; on false it holds no slot.
func (w *workers) wait(timeout time.Duration) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for i := range cap(w.sem) {
		select {
		case w.sem <- struct{}{}:
		case <-t.C:
			for range i {
				<-w.sem
			}
			return false
		}
	}
	return true
}

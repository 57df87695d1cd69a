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
// of them. Up to MaxAckPending events are unsettled at once; an event
// waiting long is kept alive with progress acks so the server does not
// redeliver it.
//
// When ctx ends, Consume stops fetching, hands buffered events back (Nak),
// waits up to DrainTimeout for the events under way to be settled, then
// hands those still unsettled back (Nak; their handlers' later verdicts are
// ignored) and cancels the handlers' context. It returns only after every
// handler call has returned, so the caller may close the connection then.
// It returns nil, or an error when the consumer fails (deleted, connection
// closed).
func (b *Broker) Consume(ctx context.Context, h Handler) error {
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	r := &run{b: b, held: newHolds()}
	r.flow = newFlow(ctx, h, b.opts.MaxAckPending, r.settle)
	defer r.held.release()
	beatsDone := make(chan struct{})
	go func() { defer close(beatsDone); r.flow.keepAlive(pctx, b.beatEvery()) }()
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
	r.flow.drain(b.opts.DrainTimeout, Nak(0))
	b.out.flush() // the last acknowledgements, before the caller closes the connection
	stop()
	<-beatsDone
	return errors.Join(errs...)
}

// run is one Consume call.
type run struct {
	b    *Broker
	flow *flow
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
	// The callback API keeps one heartbeat timer for the whole pull; the
	// iterator's Next starts a timer per message.
	fatal := make(chan error, 1)
	cc, err := c.Consume(func(jm jetstream.Msg) {
		if ctx.Err() != nil || !r.submit(ctx, jm) {
			_ = jm.Nak() // stopping: hand it back for another replica now
		}
	},
		jetstream.PullMaxMessages(min(r.b.opts.MaxAckPending, maxPullBatch)),
		jetstream.PullHeartbeat(pullHeartbeat),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if isFatalPullError(err) {
				select {
				case fatal <- err:
				default:
				}
				return
			}
			// Transient: the consumer pulls again by itself.
			r.b.opts.Logger.Warn("nats pull interrupted", "stream", stream, "err", err)
		}),
	)
	if err != nil {
		return fmt.Errorf("consume stream %s: %w", stream, err)
	}
	if stream == r.b.opts.Stream {
		r.b.started.done()
	}
	select {
	case <-ctx.Done():
		cc.Drain()
		<-cc.Closed()
		return nil
	case err := <-fatal:
		cc.Stop()
		return fmt.Errorf("consume stream %s: %w", stream, err)
	case <-cc.Closed():
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("consume stream %s: %w", stream, jetstream.ErrMsgIteratorClosed)
	}
}

// isFatalPullError reports an error after which the consumer cannot go on.
func isFatalPullError(err error) bool {
	return errors.Is(err, jetstream.ErrConsumerDeleted) ||
		errors.Is(err, jetstream.ErrConsumerNotFound) ||
		errors.Is(err, jetstream.ErrBadRequest) ||
		errors.Is(err, jetstream.ErrConnectionClosed)
}

// Pull tuning. maxPullBatch bounds the events buffered ahead of the
// handlers. pullHeartbeat is the server's idle heartbeat on a waiting pull:
// two missed beats make the consumer pull afresh. Under load, nats.go
// v1.55 was seen believing a pull outstanding that the server no longer
// held, idling until the default 15 s heartbeat was missed twice; 1 s
// bounds such a stall to about 2 s.
const (
	maxPullBatch  = 512
	pullHeartbeat = time.Second
)

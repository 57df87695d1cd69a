package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// serve sets up the stream and consumer, then feeds pulled messages to
// the workers until ctx ends, and drains.
func serve(ctx context.Context, o options, log *slog.Logger) error {
	nc, err := nats.Connect(o.NATSURL, nats.Name("reference"))
	if err != nil {
		return fmt.Errorf("connect %s: %w", o.NATSURL, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	cons, err := setup(ctx, js, o)
	if err != nil {
		return err
	}
	n, err := newNotifier(o)
	if err != nil {
		return err
	}
	if o.Ledger != "" {
		if n.ledger, err = newLedger(ctx, js, o.Ledger); err != nil {
			return err
		}
	}
	if err := consume(ctx, cons, n, o, log); err != nil {
		return err
	}
	if err := nc.FlushTimeout(5 * time.Second); err != nil {
		return fmt.Errorf("flush acks: %w", err)
	}
	return nil
}

// setup creates or updates the stream and the durable pull consumer, with
// the settings korelay uses for its own (file storage, explicit acks).
func setup(ctx context.Context, js jetstream.JetStream, o options) (jetstream.Consumer, error) {
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       o.Stream,
		Subjects:   []string{o.Subject},
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		Duplicates: 10 * time.Minute,
		MaxAge:     7 * 24 * time.Hour,
	})
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", o.Stream, err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, o.Stream, jetstream.ConsumerConfig{
		Durable:       o.Consumer,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.AckWait,
		MaxDeliver:    maxDeliver,
		MaxAckPending: o.MaxAckPend,
	})
	if err != nil {
		return nil, fmt.Errorf("consumer %s: %w", o.Consumer, err)
	}
	return cons, nil
}

// consume pulls in batches and hands each message to one of o.Workers
// workers. When ctx ends it stops pulling, lets the workers finish what
// was already pulled (up to o.Drain), and returns.
func consume(ctx context.Context, cons jetstream.Consumer, n *notifier, o options, log *slog.Logger) error {
	it, err := cons.Messages(jetstream.PullMaxMessages(o.Batch))
	if err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	defer it.Stop()
	stopPulling := context.AfterFunc(ctx, it.Drain)
	defer stopPulling()
	if o.Ready != "" {
		if err := os.WriteFile(o.Ready, nil, 0o600); err != nil {
			return fmt.Errorf("ready file: %w", err)
		}
	}
	// Calls in flight get o.Drain after the stop, then are cancelled.
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	jobs := make(chan jetstream.Msg)
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Go(func() { work(wctx, jobs, n, log) })
	}
	err = pullLoop(it, jobs, log)
	close(jobs)
	waitDrained(&wg, cancel, o.Drain)
	return err
}

// pullLoop sends messages to jobs until the iterator is closed.
func pullLoop(it jetstream.MessagesContext, jobs chan<- jetstream.Msg, log *slog.Logger) error {
	for {
		m, err := it.Next()
		switch {
		case err == nil:
			jobs <- m
		case errors.Is(err, jetstream.ErrMsgIteratorClosed):
			return nil
		case errors.Is(err, jetstream.ErrConsumerDeleted), errors.Is(err, jetstream.ErrConsumerNotFound):
			return fmt.Errorf("pull: %w", err)
		default:
			log.Warn("pull interrupted", "err", err) // the iterator pulls again by itself
		}
	}
}

// waitDrained waits for the workers, cancelling their calls after limit.
func waitDrained(wg *sync.WaitGroup, cancel context.CancelFunc, limit time.Duration) {
	t := time.AfterFunc(limit, cancel)
	defer t.Stop()
	wg.Wait()
}

// work handles messages until jobs is closed.
func work(ctx context.Context, jobs <-chan jetstream.Msg, n *notifier, log *slog.Logger) {
	w := n.worker()
	if n.ledger != nil {
		pending := make(chan pendingAck, ackQueue)
		acked := make(chan struct{})
		go func() {
			defer close(acked)
			ackRecorded(ctx, pending, log)
		}()
		w.pending = pending
		defer func() {
			close(pending)
			<-acked
		}()
	}
	for m := range jobs {
		handle(ctx, m, w, log)
	}
}

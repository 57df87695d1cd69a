package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ledgerTTL is how long the ledger keeps an entry (korelay's longest
// dedup window).
const ledgerTTL = 30 * 24 * time.Hour

// ledger is the reference's optional idempotency ledger, kept the way
// korelay keeps its own: a KV bucket with one entry per notification,
// published once Kore accepts the call and read only for an event
// delivered before. The event is acked when the server has stored the
// entry, by the worker's acker: the worker itself goes on to its next
// event at once. It lets the harness tell the ledger's own cost from the
// rest of korelay's.
type ledger struct {
	js     jetstream.JetStream
	kv     jetstream.KeyValue
	prefix string // "$KV.<bucket>."
}

// newLedger creates or updates the bucket.
func newLedger(ctx context.Context, js jetstream.JetStream, bucket string) (*ledger, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:  bucket,
		History: 1,
		TTL:     ledgerTTL,
		Storage: jetstream.FileStorage,
	})
	if err != nil {
		return nil, fmt.Errorf("ledger bucket %s: %w", bucket, err)
	}
	return &ledger{js: js, kv: kv, prefix: "$KV." + bucket + "."}, nil
}

// seen reports whether key was recorded.
func (l *ledger) seen(ctx context.Context, key string) (bool, error) {
	_, err := l.kv.Get(ctx, key)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return false, nil
	default:
		return false, fmt.Errorf("ledger get %s: %w", key, err)
	}
}

// record publishes key's entry; the future says when the server has it.
// The publish goes out with the other workers' in one write of the
// connection.
func (l *ledger) record(key string) (jetstream.PubAckFuture, error) {
	expires := strconv.AppendInt(nil, time.Now().Add(ledgerTTL).UnixNano(), 10)
	f, err := l.js.PublishAsync(l.prefix+key, expires)
	if err != nil {
		return nil, fmt.Errorf("ledger put %s: %w", key, err)
	}
	return f, nil
}

// pendingAck is an event whose ledger entry is on its way to the server.
type pendingAck struct {
	m jetstream.Msg
	f jetstream.PubAckFuture
}

// ackQueue bounds a worker's events awaiting their ledger entry.
const ackQueue = 256

// ackRecorded acks each event once the server has stored its ledger
// entry, in the order they come; an entry the server refuses sends the
// event back for redelivery. It returns when pending is closed and
// drained; once ctx ends it acks nothing more (those events are
// redelivered) but still takes what the worker hands it until then.
func ackRecorded(ctx context.Context, pending <-chan pendingAck, log *slog.Logger) {
	for p := range pending {
		select {
		case <-p.f.Ok():
			_ = p.m.Ack()
		case err := <-p.f.Err():
			retry(p.m, fmt.Errorf("ledger put: %w", err), log)
		case <-ctx.Done():
			for range pending { // the worker must not block on a full queue
			}
			return // unacked: redelivered
		}
	}
}

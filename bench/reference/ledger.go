package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ledgerTTL is how long the ledger keeps an entry (korelay's longest
// dedup window).
const ledgerTTL = 30 * 24 * time.Hour

// ledger is the reference's optional idempotency ledger, kept the way
// korelay keeps its own: a KV bucket with one entry per notification,
// published after Kore accepts the call and awaited before the event is
// acked, and read only for an event delivered before. It lets the harness
// tell the ledger's own cost from the rest of korelay's.
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

// record stores key and waits until the server has it. The publish goes
// out with the other workers' in one write of the connection.
func (l *ledger) record(ctx context.Context, key string) error {
	expires := strconv.AppendInt(nil, time.Now().Add(ledgerTTL).UnixNano(), 10)
	f, err := l.js.PublishAsync(l.prefix+key, expires)
	if err != nil {
		return fmt.Errorf("ledger put %s: %w", key, err)
	}
	select {
	case <-f.Ok():
		return nil
	case err := <-f.Err():
		return fmt.Errorf("ledger put %s: %w", key, err)
	case <-ctx.Done():
		return fmt.Errorf("ledger put %s: %w", key, ctx.Err())
	}
}

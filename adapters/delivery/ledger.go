package delivery

import (
	"context"
	"time"

	"github.com/korelay/korelay/broker"
)

// Ledger remembers idempotency keys of identities already notified: a
// JetStream KV bucket in production (broker.Ledger), in process in
// core-NATS mode, dry runs and tests (broker.MemoryLedger).
type Ledger interface {
	// Seen reports, for each key, whether it was recorded and has not expired.
	Seen(ctx context.Context, keys []string) ([]bool, error)
	// Record stores keys for ttl.
	Record(ctx context.Context, keys []string, ttl time.Duration) error
}

// asyncRecorder is a Ledger that records without holding the caller:
// done hears once whether every key was stored. done runs on one of the
// ledger's goroutines and must not wait for another Record. It may hold
// writes back for a moment to send them with others; FlushWrites has them
// sent promptly.
type asyncRecorder interface {
	RecordAsync(keys []string, ttl time.Duration, done func(error))
	FlushWrites()
}

// Compile-time checks: the stores the transports hand out are Ledgers,
// and the JetStream one records asynchronously.
var (
	_ Ledger        = (*broker.Ledger)(nil)
	_ Ledger        = (*broker.MemoryLedger)(nil)
	_ asyncRecorder = (*broker.Ledger)(nil)
)

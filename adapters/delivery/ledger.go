package delivery

import (
	"context"
	"sync"
	"time"
)

// Ledger remembers idempotency keys of identities already notified. In
// production it is a JetStream KV bucket; MemoryLedger serves tests and
// dry runs.
type Ledger interface {
	// Seen reports, for each key, whether it was recorded and has not expired.
	Seen(ctx context.Context, keys []string) ([]bool, error)
	// Record stores keys for ttl.
	Record(ctx context.Context, keys []string, ttl time.Duration) error
}

// MemoryLedger is an in-process Ledger. The zero value is ready to use.
type MemoryLedger struct {
	mu      sync.Mutex
	keys    map[string]time.Time // key → expiry
	sweepAt int                  // size at which expired keys are dropped
}

// NewMemoryLedger returns an empty MemoryLedger.
func NewMemoryLedger() *MemoryLedger {
	return &MemoryLedger{}
}

// Seen implements Ledger.
func (m *MemoryLedger) Seen(_ context.Context, keys []string) ([]bool, error) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := make([]bool, len(keys))
	for i, k := range keys {
		exp, ok := m.keys[k]
		seen[i] = ok && now.Before(exp)
	}
	return seen, nil
}

// Record implements Ledger. Expired keys are dropped as new ones arrive.
func (m *MemoryLedger) Record(_ context.Context, keys []string, ttl time.Duration) error {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keys == nil {
		m.keys = make(map[string]time.Time)
	}
	for _, k := range keys {
		m.keys[k] = now.Add(ttl)
	}
	if len(m.keys) >= m.sweepAt {
		m.expire(now)
		m.sweepAt = max(1024, 2*len(m.keys))
	}
	return nil
}

// Len reports how many unexpired keys are recorded.
func (m *MemoryLedger) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(time.Now())
	return len(m.keys)
}

func (m *MemoryLedger) expire(now time.Time) {
	for k, exp := range m.keys {
		if !now.Before(exp) {
			delete(m.keys, k)
		}
	}
}

package broker

import (
	"context"
	"sync"
	"time"
)

// MemoryLedger is an in-process idempotency ledger: what core-NATS mode and
// a dry run use, where nothing may (or can) be stored in JetStream, and what
// tests use. The zero value is ready to use; it is safe for concurrent use.
type MemoryLedger struct {
	mu      sync.Mutex
	keys    map[string]time.Time // key → expiry
	sweepAt int                  // size at which expired keys are dropped
}

// NewMemoryLedger returns an empty MemoryLedger.
func NewMemoryLedger() *MemoryLedger { return &MemoryLedger{} }

// Seen reports, for each key, whether it was recorded and has not expired.
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

// Record marks keys as seen for ttl. Expired keys are dropped as new ones
// arrive, so memory follows the keys alive, not all keys ever recorded.
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

// MemoryCronState remembers cron fires in process (core-NATS mode, dry
// run): catch_up then covers only downtime within one process's life,
// which is none. Safe for concurrent use.
type MemoryCronState struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// NewMemoryCronState returns an empty MemoryCronState.
func NewMemoryCronState() *MemoryCronState {
	return &MemoryCronState{last: map[string]time.Time{}}
}

// LastFired returns the last fire time recorded for rule; ok is false when
// none was.
func (m *MemoryCronState) LastFired(_ context.Context, rule string) (time.Time, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.last[rule]
	return t, ok, nil
}

// SetLastFired records t as rule's last fire time; like CronState it never
// moves the time backwards.
func (m *MemoryCronState) SetLastFired(_ context.Context, rule string, t time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if last, ok := m.last[rule]; !ok || t.After(last) {
		m.last[rule] = t
	}
	return nil
}

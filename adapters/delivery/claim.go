package delivery

import (
	"context"
	"fmt"
	"time"
)

// claim registers the slots' keys as in flight. A key already in flight is
// joined: the slot waits for that flight instead of sending again. It
// returns the flights this delivery owns.
func (e *Engine) claim(slots []slot) ([]*flight, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrClosed
	}
	var owned []*flight
	for i := range slots {
		s := &slots[i]
		if s.f == nil {
			continue
		}
		if f, ok := e.flights[s.f.key]; ok {
			s.f, s.joined = f, true
			continue
		}
		e.flights[s.f.key] = s.f
		owned = append(owned, s.f)
	}
	return owned, nil
}

// checkLedger settles as duplicates the owned flights the ledger has seen
// and returns the others. On a ledger failure it releases every owned flight.
func (e *Engine) checkLedger(ctx context.Context, owned []*flight) ([]*flight, error) {
	keys := make([]string, len(owned))
	for i, f := range owned {
		keys[i] = f.key
	}
	seen, err := e.ledger.Seen(ctx, keys)
	if err == nil && len(seen) != len(keys) {
		err = fmt.Errorf("%d answers for %d keys", len(seen), len(keys))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		err = fmt.Errorf("delivery: ledger lookup: %w", err)
		for _, f := range owned {
			e.settle(f, result{abort: err})
		}
		return nil, err
	}
	fresh := owned[:0]
	for i, f := range owned {
		if seen[i] {
			e.settle(f, result{status: StatusDuplicate})
			continue
		}
		fresh = append(fresh, f)
	}
	return fresh, nil
}

// enqueue queues owned flights in their message groups and wakes the
// dispatcher.
func (e *Engine) enqueue(owned []*flight) {
	if len(owned) == 0 {
		return
	}
	now := time.Now()
	e.mu.Lock()
	var g *group
	for _, f := range owned {
		if e.closed {
			e.settle(f, result{abort: ErrClosed})
			continue
		}
		if g == nil || g.key != f.group {
			g = e.groupFor(f.group)
		}
		f.since = now
		g.fresh = append(g.fresh, f)
		if !g.queued {
			g.queued = true
			e.queue = append(e.queue, g)
		}
	}
	e.mu.Unlock()
	e.signal()
}

// groupFor returns the queue of a message group, creating it. The caller
// holds e.mu.
func (e *Engine) groupFor(k groupKey) *group {
	g, ok := e.groups[k]
	if !ok {
		g = &group{key: k}
		e.groups[k] = g
	}
	return g
}

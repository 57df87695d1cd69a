package broker

import (
	"cmp"
	"context"
	"sync"
	"time"
)

// MemoryHeld is a HeldStore in process: what a dry run (which must change
// nothing shared) and core-NATS mode (at-most-once, nothing stored) use,
// and what tests use. What it holds is lost when the process ends. Safe
// for concurrent use.
type MemoryHeld struct {
	mu    sync.Mutex
	slots map[string]*memSlot
	wake  chan struct{}
	drain time.Duration
}

// memSlot is one slot's items.
type memSlot struct {
	slot  HeldSlot
	at    time.Time
	items []HeldItem
	keys  map[string]struct{}
}

// NewMemoryHeld returns an empty MemoryHeld whose Release waits up to
// drain (0: DefaultDrainTimeout) for releases under way when it stops.
func NewMemoryHeld(drain time.Duration) *MemoryHeld {
	return &MemoryHeld{slots: map[string]*memSlot{}, wake: make(chan struct{}, 1), drain: cmp.Or(drain, DefaultDrainTimeout)}
}

// Hold keeps item in slot until at.
func (m *MemoryHeld) Hold(_ context.Context, slot HeldSlot, at time.Time, item HeldItem) error {
	if err := checkSlot(slot); err != nil {
		return err
	}
	slot.Due = time.Unix(slot.Due.Unix(), 0).UTC() // as a stored slot reads back
	m.mu.Lock()
	m.add(slot, at, []HeldItem{item})
	m.mu.Unlock()
	m.signal()
	return nil
}

// add puts items into slot, released at at (or earlier, if it already
// was). The caller holds m.mu.
func (m *MemoryHeld) add(slot HeldSlot, at time.Time, items []HeldItem) {
	s, ok := m.slots[slot.name()]
	if !ok {
		s = &memSlot{slot: slot, at: at, keys: map[string]struct{}{}}
		m.slots[slot.name()] = s
	}
	if at.Before(s.at) {
		s.at = at
	}
	for _, it := range items {
		if _, dup := s.keys[it.Key]; !dup {
			s.keys[it.Key] = struct{}{}
			s.items = append(s.items, it)
		}
	}
}

func (m *MemoryHeld) signal() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Release hands due slots to fn until ctx ends, then waits up to the drain
// timeout for the releases under way.
func (m *MemoryHeld) Release(ctx context.Context, fn ReleaseFunc) error {
	var wg sync.WaitGroup
	defer waitFor(&wg, m.drain)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := m.releaseDue(ctx, fn, &wg)
		timer.Reset(time.Hour)
		if !next.IsZero() {
			timer.Reset(max(time.Until(next), time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-m.wake:
		case <-timer.C:
		}
	}
}

// releaseDue hands every due slot to fn and returns when the next slot is
// due (zero: none held).
func (m *MemoryHeld) releaseDue(ctx context.Context, fn ReleaseFunc, wg *sync.WaitGroup) time.Time {
	now := time.Now()
	var due []*memSlot
	var next time.Time
	m.mu.Lock()
	for name, s := range m.slots {
		if !s.at.After(now) {
			due = append(due, s)
			delete(m.slots, name)
		} else if next.IsZero() || s.at.Before(next) {
			next = s.at
		}
	}
	m.mu.Unlock()
	for _, s := range due {
		wg.Add(1)
		var once sync.Once
		fn(ctx, s.slot, s.items, func(ok bool) {
			once.Do(func() {
				defer wg.Done()
				if !ok {
					m.mu.Lock()
					m.add(s.slot, time.Now().Add(releaseRetry), s.items)
					m.mu.Unlock()
					m.signal()
				}
			})
		})
	}
	return next
}

// Held counts the items held now, by kind.
func (m *MemoryHeld) Held(context.Context) (map[string]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for _, s := range m.slots {
		out[s.slot.Kind] += len(s.items)
	}
	return out, nil
}

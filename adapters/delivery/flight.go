package delivery

import (
	"sync"
	"sync/atomic"
	"time"
)

// flight is one identity waiting to be sent under one idempotency key.
// Every delivery that needs the key while it is in flight waits for it: it
// is one of the flight's waiters, told when the flight settles.
type flight struct {
	key      string
	identity string
	rule     string
	eventID  string
	ttl      time.Duration
	group    groupKey
	since    time.Time // when it was queued
	attempts int       // calls that carried it
	// waiters are the deliveries to tell when it settles; guarded by the
	// inFlight registry's lock until then.
	waiters []*pending
	settled atomic.Bool
	res     result // valid once settled
}

// slot is one identity of one notification within a Deliver call.
type slot struct {
	n        int // index of the notification
	identity string
	f        *flight // nil when res was settled at once
	joined   bool    // f belongs to an earlier delivery
	res      result
}

// settled returns the slot's result, if it has one yet.
func (s *slot) settled() (result, bool) {
	if s.f == nil {
		return s.res, true
	}
	if !s.f.settled.Load() {
		return result{}, false
	}
	r := s.f.res
	if s.joined && r.status == StatusSent {
		r.status, r.attempts = StatusDuplicate, 0
	}
	return r, true
}

// inFlight is the first stage: the registry of the idempotency keys being
// delivered now. A delivery needing a key already in flight joins that
// flight instead of sending again, so identities racing under one key are
// sent once. Every flight leaves the registry through settle, whichever
// stage decides its result. Safe for concurrent use.
type inFlight struct {
	mu     sync.Mutex
	m      map[string]*flight
	closed bool
}

func newInFlight() *inFlight { return &inFlight{m: make(map[string]*flight)} }

// claim registers the slots' flights, with p waiting on each. A slot whose
// key is already in flight is pointed at that flight (joined). It returns
// the flights this delivery owns, or ErrClosed once the engine stopped.
func (r *inFlight) claim(slots []slot, p *pending) ([]*flight, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	var owned []*flight
	for i := range slots {
		s := &slots[i]
		if s.f == nil {
			continue
		}
		if f, ok := r.m[s.f.key]; ok {
			s.f, s.joined = f, true
			f.waiters = append(f.waiters, p)
			continue
		}
		s.f.waiters = append(s.f.waiters, p)
		r.m[s.f.key] = s.f
		owned = append(owned, s.f)
	}
	return owned, nil
}

// settle gives f its final result, releases its key and tells every
// delivery waiting on it (a delivery whose last flight this was completes
// here, on the caller's goroutine). Each flight is settled once, by the
// stage holding it, never under a stage's lock.
func (r *inFlight) settle(f *flight, res result) {
	r.mu.Lock()
	if r.m[f.key] == f {
		delete(r.m, f.key)
	}
	waiters := f.waiters
	f.waiters = nil
	r.mu.Unlock()
	f.res = res
	f.settled.Store(true)
	for _, p := range waiters {
		p.slotDone()
	}
}

// settleAll settles every flight of fs with res.
func (r *inFlight) settleAll(fs []*flight, res result) {
	for _, f := range fs {
		r.settle(f, res)
	}
}

// close refuses further claims.
func (r *inFlight) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
}

// len reports how many keys are in flight.
func (r *inFlight) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}

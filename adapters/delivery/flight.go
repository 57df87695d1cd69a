package delivery

import (
	"sync"
	"time"
)

// flight is one identity waiting to be sent under one idempotency key. Every
// Deliver that needs the key while it is in flight waits on done.
type flight struct {
	key      string
	identity string
	rule     string
	eventID  string
	ttl      time.Duration
	group    groupKey
	since    time.Time // when it was queued
	attempts int       // calls that carried it
	done     chan struct{}
	res      result // valid once done is closed
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
	select {
	case <-s.f.done:
	default:
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

// claim registers the slots' flights. A slot whose key is already in flight
// is pointed at that flight (joined). It returns the flights this delivery
// owns, or ErrClosed once the engine stopped.
func (r *inFlight) claim(slots []slot) ([]*flight, error) {
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
			continue
		}
		r.m[s.f.key] = s.f
		owned = append(owned, s.f)
	}
	return owned, nil
}

// settle gives f its final result, wakes every delivery waiting on it and
// releases its key. Each flight is settled once, by the stage holding it.
func (r *inFlight) settle(f *flight, res result) {
	r.mu.Lock()
	if r.m[f.key] == f {
		delete(r.m, f.key)
	}
	r.mu.Unlock()
	f.res = res
	close(f.done)
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

package delivery

import "time"

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

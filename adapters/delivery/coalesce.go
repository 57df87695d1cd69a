package delivery

import (
	"time"

	"github.com/korelay/korelay/kore"
)

// groupKey is what identities must share to be sent in one call.
type groupKey struct{ channel, msgType, message string }

// group is the pending work of one message: first attempts in arrival order,
// and batches of failed calls waiting out a backoff.
type group struct {
	key     groupKey
	fresh   []*flight
	retries []retryBatch
	queued  bool // in the engine's queue
}

// retryBatch is the part of a failed call that will be retried.
type retryBatch struct {
	notBefore time.Time
	since     time.Time // oldest item's queue time
	items     []*flight
}

// readiness says whether, and since when, a group has work to send.
type readiness struct {
	ok      bool
	oldest  time.Time // queue time of the oldest sendable item (priority)
	readyAt time.Time // when sendable work became sendable (budget wait)
	wakeAt  time.Time // when !ok: when some work becomes sendable
}

// readiness evaluates g at now, with fresh work held for window.
func (g *group) readiness(now time.Time, window time.Duration) readiness {
	var r readiness
	consider := func(at, since time.Time) {
		if at.After(now) {
			r.wakeAt = earliest(r.wakeAt, at)
			return
		}
		if !r.ok || since.Before(r.oldest) {
			r.oldest = since
		}
		r.readyAt = earliest(r.readyAt, at)
		r.ok = true
	}
	if len(g.fresh) > 0 {
		consider(g.fresh[0].since.Add(window), g.fresh[0].since)
	}
	for i := range g.retries {
		consider(g.retries[i].notBefore, g.retries[i].since)
	}
	return r
}

// earliest returns the earlier of a and b, treating zero as unset.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// call is one notify request being assembled or in flight.
type call struct {
	seq        uint64
	key        groupKey
	identities []string
	items      []*flight
	seen       map[string]struct{} // built once the call grows past smallCall
}

// smallCall is the size up to which a call finds identities by scanning.
const smallCall = 16

// take moves up to max distinct identities of sendable work from g into a
// new call: due retries first (they are older), then fresh work in arrival
// order. Fresh work rides along even inside its batch window: the call goes
// out anyway.
func (g *group) take(now time.Time, max int) *call {
	c := &call{key: g.key}
	kept := g.retries[:0]
	for _, b := range g.retries {
		if !b.notBefore.After(now) {
			b.items = b.items[c.fill(b.items, max):]
		}
		if len(b.items) > 0 {
			kept = append(kept, b)
		}
	}
	clear(g.retries[len(kept):])
	g.retries = kept
	n := c.fill(g.fresh, max)
	clear(g.fresh[:n])
	g.fresh = g.fresh[n:]
	if len(g.fresh) == 0 {
		g.fresh = nil
	}
	return c
}

// empty reports whether g has no work left.
func (g *group) empty() bool {
	return len(g.fresh) == 0 && len(g.retries) == 0
}

// each calls fn for every queued flight.
func (g *group) each(fn func(*flight)) {
	for _, f := range g.fresh {
		fn(f)
	}
	for _, b := range g.retries {
		for _, f := range b.items {
			fn(f)
		}
	}
}

// fill adds items from the front of fs while they fit and reports how many
// it took. An identity already in the call is carried once for all its items.
func (c *call) fill(fs []*flight, max int) int {
	for i, f := range fs {
		if !c.has(f.identity) {
			if len(c.identities) >= max {
				return i
			}
			c.addIdentity(f.identity)
		}
		c.items = append(c.items, f)
	}
	return len(fs)
}

func (c *call) has(id string) bool {
	if c.seen != nil {
		_, ok := c.seen[id]
		return ok
	}
	for _, x := range c.identities {
		if x == id {
			return true
		}
	}
	return false
}

func (c *call) addIdentity(id string) {
	c.identities = append(c.identities, id)
	switch {
	case c.seen != nil:
		c.seen[id] = struct{}{}
	case len(c.identities) > smallCall:
		c.seen = make(map[string]struct{}, kore.MaxIdentities)
		for _, x := range c.identities {
			c.seen[x] = struct{}{}
		}
	}
}

// request is the notify request of c.
func (c *call) request() kore.NotifyRequest {
	return kore.NotifyRequest{
		Channel:    c.key.channel,
		Message:    kore.Message{Type: c.key.msgType, Val: c.key.message},
		Identities: c.identities,
	}
}

package delivery

import (
	"sync"
	"time"

	"github.com/korelay/korelay/kore"
)

// groupKey is what identities must share to be sent in one call: a
// message, or a device action (see deviceGroup).
type groupKey struct{ channel, msgType, message string }

// device reports whether the group is a device action.
func (k groupKey) device() bool { return k.channel == ChannelDevices }

// group is the pending work of one message: first attempts in arrival order,
// and batches of failed calls waiting out a backoff.
type group struct {
	key     groupKey
	fresh   []*flight
	retries []retryBatch
	queued  bool // in the coalescer's arrival queue
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

// call is one Kore request, a notify call or a device action, being
// assembled or in flight.
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

// flights returns every queued flight of g.
func (g *group) flights() []*flight {
	out := append([]*flight(nil), g.fresh...)
	for _, b := range g.retries {
		out = append(out, b.items...)
	}
	return out
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

// coalescer is the stage that holds the work waiting to be sent, grouped by
// message (channel, type, text), and cuts it into calls of at most
// kore.MaxIdentities identities: while work waits for budget, identical
// messages merge. Fresh work may be held for a batch window first. Safe for
// concurrent use; only a dispatch step (one at a time) cuts calls.
type coalescer struct {
	window time.Duration

	mu     sync.Mutex
	closed bool
	groups map[groupKey]*group
	// queue holds the groups with fresh work in the order their work
	// arrived (stale entries, whose fresh work was taken, are skipped);
	// retrying holds the groups with failed calls waiting out a backoff.
	// Together they let the dispatcher pick the next call without
	// scanning every group.
	queue    []*group
	retrying map[*group]struct{}
}

func newCoalescer(window time.Duration) *coalescer {
	return &coalescer{window: window, groups: make(map[groupKey]*group), retrying: make(map[*group]struct{})}
}

// add queues fresh flights at now. Once closed it takes nothing and
// returns the flights back.
func (q *coalescer) add(fs []*flight, now time.Time) (refused []*flight) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return fs
	}
	var g *group
	for _, f := range fs {
		if g == nil || g.key != f.group {
			g = q.groupFor(f.group)
		}
		f.since = now
		g.fresh = append(g.fresh, f)
		if !g.queued {
			g.queued = true
			q.queue = append(q.queue, g)
		}
	}
	return nil
}

// retry queues fs, part of a failed call of message key, to be sent again
// from notBefore. It reports false, taking nothing, once closed.
func (q *coalescer) retry(key groupKey, fs []*flight, notBefore time.Time) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	g := q.groupFor(key)
	g.retries = append(g.retries, retryBatch{notBefore: notBefore, since: oldest(fs), items: fs})
	q.retrying[g] = struct{}{}
	return true
}

// groupFor returns the group of k, creating it. The caller holds q.mu.
func (q *coalescer) groupFor(k groupKey) *group {
	g, ok := q.groups[k]
	if !ok {
		g = &group{key: k}
		q.groups[k] = g
	}
	return g
}

// due reports whether a call can be cut at now, and otherwise when one
// can (zero: no work at all).
func (q *coalescer) due(now time.Time) (ok bool, wakeAt time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	g, _, wakeAt := q.pick(now)
	return g != nil, wakeAt
}

// cut takes the next call at now from the group whose oldest sendable work
// waited longest, and says since when that work was sendable; nil when
// nothing is sendable.
func (q *coalescer) cut(now time.Time, max int) (*call, time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	g, r, _ := q.pick(now)
	if g == nil {
		return nil, time.Time{}
	}
	c := g.take(now, max)
	if len(g.retries) == 0 {
		delete(q.retrying, g)
	}
	if g.empty() {
		delete(q.groups, g.key)
	}
	return c, r.readyAt
}

// pick returns the sendable group whose oldest item waited longest, or
// nil and when the next group becomes sendable. Only the head of the fresh
// queue (the oldest fresh work; every group's window is the same length)
// and the groups waiting to retry are considered, so picking costs the
// same however many messages wait. The caller holds q.mu.
func (q *coalescer) pick(now time.Time) (*group, readiness, time.Time) {
	var (
		best   *group
		bestR  readiness
		wakeAt time.Time
	)
	consider := func(g *group) {
		r := g.readiness(now, q.window)
		if !r.ok {
			wakeAt = earliest(wakeAt, r.wakeAt)
			return
		}
		if best == nil || r.oldest.Before(bestR.oldest) {
			best, bestR = g, r
		}
	}
	if head := q.head(); head != nil {
		consider(head)
	}
	for g := range q.retrying {
		consider(g)
	}
	return best, bestR, wakeAt
}

// head drops stale entries from the front of the fresh queue and returns
// the group at its head, if any. The caller holds q.mu.
func (q *coalescer) head() *group {
	for len(q.queue) > 0 {
		g := q.queue[0]
		if len(g.fresh) > 0 {
			return g
		}
		g.queued = false
		q.queue[0] = nil
		q.queue = q.queue[1:]
	}
	q.queue = nil
	return nil
}

// close refuses further work and returns every flight still queued.
func (q *coalescer) close() []*flight {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	var out []*flight
	for k, g := range q.groups {
		out = append(out, g.flights()...)
		delete(q.groups, k)
	}
	q.queue = nil
	clear(q.retrying)
	return out
}

// oldest returns the earliest queue time among fs.
func oldest(fs []*flight) time.Time {
	t := fs[0].since
	for _, f := range fs[1:] {
		if f.since.Before(t) {
			t = f.since
		}
	}
	return t
}

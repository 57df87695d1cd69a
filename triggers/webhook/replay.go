package webhook

import (
	"container/list"
	"sync"
	"time"
)

// replayCache remembers which event a (hook, webhook-id) pair produced, so a
// replayed Standard Webhooks message answers with the first event id without
// publishing again. Every entry lives for the same ttl, so insertion order is
// expiry order: the list front is always the next to expire, and when the
// cache is full the oldest entry goes first. JetStream's duplicate window is
// the durable guard; this cache is the fast path and works without it.
type replayCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	order   *list.List // of *replayEntry, oldest first
	entries map[string]*list.Element
}

type replayEntry struct {
	key     string
	eventID string
	expires time.Time
}

func newReplayCache(max int, ttl time.Duration) *replayCache {
	return &replayCache{ttl: ttl, max: max, order: list.New(), entries: make(map[string]*list.Element)}
}

// replayKey is the cache key of a hook's message id.
func replayKey(hook, msgID string) string { return hook + "\x00" + msgID }

// get returns the event id stored for key, if it has not expired at now.
func (c *replayCache) get(key string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	el, ok := c.entries[key]
	if !ok {
		return "", false
	}
	return el.Value.(*replayEntry).eventID, true
}

// put remembers eventID for key until now+ttl. A key already present keeps
// its first event id.
func (c *replayCache) put(key, eventID string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if _, ok := c.entries[key]; ok {
		return
	}
	c.entries[key] = c.order.PushBack(&replayEntry{key: key, eventID: eventID, expires: now.Add(c.ttl)})
	for c.order.Len() > c.max {
		c.remove(c.order.Front())
	}
}

// expire drops the entries that expired at now.
func (c *replayCache) expire(now time.Time) {
	for el := c.order.Front(); el != nil && !now.Before(el.Value.(*replayEntry).expires); el = c.order.Front() {
		c.remove(el)
	}
}

func (c *replayCache) remove(el *list.Element) {
	delete(c.entries, el.Value.(*replayEntry).key)
	c.order.Remove(el)
}

// len returns the number of entries, expired or not (for tests).
func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

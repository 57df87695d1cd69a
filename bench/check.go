package main

import (
	"sync"
	"sync/atomic"
	"time"
)

// maxSamples bounds the bad texts or rejections kept for the report.
const maxSamples = 5

// checker is told about every notify call the fake Kore accepted; each
// scenario has its own.
type checker interface {
	notified(text string, identities []string, at time.Duration)
}

// samples keeps the first few examples of something wrong.
type samples struct {
	mu   sync.Mutex
	list []string
}

func (s *samples) add(x string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.list) < maxSamples {
		s.list = append(s.list, x)
	}
}

func (s *samples) get() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.list...)
}

// orderCheck checks the notifications of the order scenarios against the
// events that were published, and notes each one's latency.
type orderCheck struct {
	set   orders
	clock *clock

	delivered  atomic.Int64 // matching events notified at least once
	duplicates atomic.Int64 // notifications beyond the first for an event
	unexpected atomic.Int64 // notifications for non-matching events
	mismatches atomic.Int64 // texts whose id, name or identity is not what was sent

	seen []atomic.Int32 // notifications per event
	bad  samples

	mu        sync.Mutex
	latencies []latency // first notification of each event
}

// latency is one event's publish → Kore call, and when it was published.
type latency struct {
	published, took time.Duration
}

func newOrderCheck(set orders, c *clock) *orderCheck {
	return &orderCheck{set: set, clock: c, seen: make([]atomic.Int32, set.n),
		latencies: make([]latency, 0, set.matching())}
}

// notified checks each identity of one call.
func (c *orderCheck) notified(text string, identities []string, at time.Duration) {
	for _, identity := range identities {
		c.observe(text, identity, at)
	}
}

// observe checks one notification.
func (c *orderCheck) observe(text, identity string, at time.Duration) {
	i, ok := parseText(text, identity, c.set.n)
	if !ok {
		c.mismatches.Add(1)
		c.bad.add(identity + ": " + text)
		if i < 0 {
			return
		}
	}
	if !c.set.matches(i) {
		c.unexpected.Add(1)
		c.bad.add("non-matching event notified: " + text)
		return
	}
	if c.seen[i].Add(1) > 1 {
		c.duplicates.Add(1)
		return
	}
	pub := c.clock.published(i)
	c.mu.Lock()
	c.latencies = append(c.latencies, latency{published: pub, took: at - pub})
	c.mu.Unlock()
	c.delivered.Add(1)
}

// latencySnapshot copies the latencies of the events published at from
// or later.
func (c *orderCheck) latencySnapshot(from time.Duration) []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]time.Duration, 0, len(c.latencies))
	for _, l := range c.latencies {
		if l.published >= from {
			out = append(out, l.took)
		}
	}
	return out
}

package main

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// broadcastText is the broadcast rule's message.
const broadcastText = "The office closes at 18:00 today."

// broadcastCheck checks the broadcast scenario's calls: the rule's text,
// to identities p0@example.com … p(size-1)@example.com, each once.
type broadcastCheck struct {
	size int

	calls      atomic.Int64
	delivered  atomic.Int64 // identities notified at least once
	duplicates atomic.Int64 // notifications beyond the first for an identity
	unknown    atomic.Int64 // identities not in the dataset
	badTexts   atomic.Int64 // calls with another text
	firstCall  atomic.Int64 // clock time of the first call

	seen []atomic.Int32
	bad  samples

	mu    sync.Mutex
	sizes map[int]int64 // identities per call → calls
}

func newBroadcastCheck(size int) *broadcastCheck {
	c := &broadcastCheck{size: size, seen: make([]atomic.Int32, size), sizes: map[int]int64{}}
	c.firstCall.Store(math.MaxInt64)
	return c
}

// notified checks one call.
func (c *broadcastCheck) notified(text string, identities []string, at time.Duration) {
	c.calls.Add(1)
	for {
		first := c.firstCall.Load()
		if int64(at) >= first || c.firstCall.CompareAndSwap(first, int64(at)) {
			break
		}
	}
	c.mu.Lock()
	c.sizes[len(identities)]++
	c.mu.Unlock()
	if text != broadcastText {
		c.badTexts.Add(1)
		c.bad.add("text: " + text)
	}
	for _, id := range identities {
		i, ok := personIndex(id, c.size)
		switch {
		case !ok:
			c.unknown.Add(1)
			c.bad.add("identity: " + id)
		case c.seen[i].Add(1) > 1:
			c.duplicates.Add(1)
		default:
			c.delivered.Add(1)
		}
	}
}

// callSizes copies the call-size histogram.
func (c *broadcastCheck) callSizes() map[int]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[int]int64, len(c.sizes))
	for k, v := range c.sizes {
		out[k] = v
	}
	return out
}

// person is the dataset's identity i.
func person(i int) string { return "p" + strconv.Itoa(i) + "@example.com" }

// personIndex is the index of identity id in a dataset of size people.
func personIndex(id string, size int) (int, bool) {
	s, ok1 := strings.CutPrefix(id, "p")
	s, ok2 := strings.CutSuffix(s, "@example.com")
	i, err := strconv.Atoi(s)
	if !ok1 || !ok2 || err != nil || i < 0 || i >= size || strconv.Itoa(i) != s {
		return -1, false
	}
	return i, true
}

// expectedCalls is ceil(size/1000): full calls, then the rest.
func expectedCalls(size int) (calls, full int) {
	return (size + 999) / 1000, size / 1000
}

package main

import (
	"sync/atomic"
	"time"
)

// clock measures times since a run's start on the monotonic clock, and
// holds the publish time of every event.
type clock struct {
	start time.Time
	pub   []atomic.Int64
}

func newClock(n int) *clock { return &clock{start: time.Now(), pub: make([]atomic.Int64, n)} }

// now is the time since the start.
func (c *clock) now() time.Duration { return time.Since(c.start) }

// at is wall-clock time t on this clock.
func (c *clock) at(t time.Time) time.Duration { return t.Sub(c.start) }

// markPublished records that event i is being published now.
func (c *clock) markPublished(i int) time.Duration {
	t := c.now()
	c.pub[i].Store(int64(t))
	return t
}

// published is when event i was published.
func (c *clock) published(i int) time.Duration { return time.Duration(c.pub[i].Load()) }

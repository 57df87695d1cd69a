package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// waitStream waits until stream exists and captures subject.
func waitStream(ctx context.Context, js jetstream.JetStream, stream, subject string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		if s, err := js.Stream(ctx, stream); err == nil && slices.Contains(s.CachedInfo().Config.Subjects, subject) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stream %s capturing %s not there within %v", stream, subject, limit)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// streamState is a stream's messages and its consumers' progress.
type streamState struct {
	msgs, lastSeq uint64
	open          uint64 // pending plus delivered but not acknowledged, over every consumer
	ackFloor      uint64 // the lowest consumer ack floor (a stream sequence)
}

// allAcked reports whether at least events messages are stored and every
// consumer's ack floor reached the last of them.
func (s streamState) allAcked(events uint64) bool {
	return s.msgs >= events && s.open == 0 && s.ackFloor >= s.lastSeq
}

// backlog reads stream's state and its consumers' progress from
// JetStream's consumer info.
func backlog(ctx context.Context, js jetstream.JetStream, stream string) (streamState, error) {
	var st streamState
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return st, err
	}
	info := s.CachedInfo().State
	st.msgs, st.lastSeq, st.ackFloor = info.Msgs, info.LastSeq, info.LastSeq
	names := s.ConsumerNames(ctx)
	consumers := 0
	for name := range names.Name() {
		consumers++
		c, err := s.Consumer(ctx, name)
		if err != nil {
			return st, err
		}
		ci := c.CachedInfo()
		st.open += ci.NumPending + uint64(ci.NumAckPending)
		st.ackFloor = min(st.ackFloor, ci.AckFloor.Stream)
	}
	if err := names.Err(); err != nil {
		return st, err
	}
	if consumers == 0 {
		return st, errors.New("no consumer on the stream")
	}
	return st, nil
}

// goal is what a run waits for: want notifications (delivered counts
// them) and events messages in stream, every one acknowledged.
type goal struct {
	want      int64
	delivered func() int64
	events    uint64
	stream    string
}

// waitDone waits until g is reached, giving up after stall without progress.
func waitDone(ctx context.Context, stall time.Duration, js jetstream.JetStream, g goal) error {
	lastProgress := time.Now()
	var lastDelivered int64 = -1
	var last streamState
	var lastPoll time.Time
	var err error
	for {
		delivered := g.delivered()
		// Ask NATS only when the notifications are all in, or once a second
		// for progress, so polling costs the shared CPUs next to nothing.
		if delivered >= g.want || time.Since(lastPoll) > time.Second {
			lastPoll = time.Now()
			var st streamState
			if st, err = backlog(ctx, js, g.stream); err == nil {
				if delivered >= g.want && st.allAcked(g.events) {
					return nil
				}
				if st.open != last.open || st.ackFloor != last.ackFloor {
					lastProgress = time.Now()
				}
				last = st
			}
		}
		if delivered != lastDelivered {
			lastDelivered, lastProgress = delivered, time.Now()
		}
		if time.Since(lastProgress) > stall {
			return fmt.Errorf("no progress for %v: %d of %d notified, %d events not acknowledged, ack floor %d of %d (last error: %v)",
				stall, delivered, g.want, last.open, last.ackFloor, last.lastSeq, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for notifications: %w (%d of %d notified)", ctx.Err(), delivered, g.want)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

package broker

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// submit hands one delivery to the flow, kept alive with progress acks
// until it is settled; false when ctx ended while waiting for room.
func (r *run) submit(ctx context.Context, jm jetstream.Msg) bool {
	meta, err := deliveryMeta(jm)
	if err != nil {
		_ = jm.TermWithReason("korelay: not a jetstream delivery")
		return true
	}
	b := r.b
	m := streamMsg(jm, meta)
	m.LastAttempt = b.opts.MaxDeliver > 0 && meta.delivered >= uint64(b.opts.MaxDeliver)
	return r.flow.submit(ctx, m, jm, b.ackDeadline(m.NumDelivered)/3)
}

// settle acknowledges, redelivers or terminates a delivery as its handler
// said. Settling errors are not returned: an unsettled delivery comes back
// after its ack wait, and the ledger suppresses repeated notifications.
func (r *run) settle(e *flowEvent, d Disposition) {
	b, jm, m, beat := r.b, e.jm, &e.m, e.every
	switch d.kind {
	case dispTerm:
		_ = jm.Term()
	case dispNak:
		if m.LastAttempt {
			if err := b.DeadLetter(r.flow.ctx, exhausted(*m)); err != nil {
				// Nothing to return this to, and the server will not redeliver.
				b.opts.Logger.Error("dead-letter an exhausted event", "event_id", m.EventID, "err", err)
			} else {
				_ = jm.TermWithReason("korelay: redelivery limit reached, dead-lettered")
				if b.opts.OnExhausted != nil {
					b.opts.OnExhausted(m.EventID)
				}
				return
			}
		}
		r.nak(jm, m.NumDelivered, d.delay, beat)
	default:
		b.out.ack(jm)
	}
}

// beatEvery is how often the keep-alive sweep runs: a third of the
// shortest ack wait.
func (b *Broker) beatEvery() time.Duration { return b.ackDeadline(1) / 3 }

// streamMsg is the delivery of a stream message. A replayed event (stored
// on ReplaySubjectPrefix+subject with HeaderReplayOf) keeps the id and the
// subject it had before it was dead-lettered: an event's id is its id for
// life, so the ledger recognises what was already sent for it.
func streamMsg(jm jetstream.Msg, meta ackMeta) Msg {
	m := Msg{
		EventID:      eventIDOf(meta.stream, meta.seq),
		Subject:      jm.Subject(),
		Header:       jm.Headers(),
		Data:         jm.Data(),
		Received:     meta.stored,
		NumDelivered: meta.delivered,
		Stream:       meta.stream,
		Sequence:     meta.seq,
	}
	if subject := originalSubject(m.Subject); subject != m.Subject {
		m.Subject, m.Replayed = subject, true
		if id := m.Header.Get(HeaderReplayOf); id != "" {
			m.EventID = id
		}
	}
	return m
}

// nak asks for redelivery after delay. With BackOff the server measures a
// delayed Nak of delivery n against BackOff[n-1] while offsetting it by
// BackOff[0]: the difference (skew) is taken off the delay sent, and a delay
// shorter than the skew is waited out here (keeping the delivery alive) and
// then Nak'ed at once.
func (r *run) nak(jm jetstream.Msg, nd uint64, delay, beat time.Duration) {
	if delay <= 0 {
		_ = jm.Nak()
		return
	}
	skew := r.b.ackDeadline(nd) - r.b.ackDeadline(1)
	if wire := delay - skew; wire >= time.Millisecond {
		_ = jm.NakWithDelay(wire)
		return
	}
	r.held.hold(jm, delay, beat)
}

// exhausted is the dead letter of an event still failing on its last delivery.
func exhausted(m Msg) DeadLetter {
	return DeadLetter{
		EventID:  m.EventID,
		Reason:   ReasonExhausted,
		Error:    fmt.Sprintf("handler asked for redelivery after %d deliveries, the limit", m.NumDelivered),
		Attempts: int(m.NumDelivered),
		Subject:  m.Subject,
		Header:   m.Header,
		Data:     m.Data,
	}
}

// ackDeadline is how long the server waits for an ack of delivery number
// nd: with BackOff, its entry for that delivery replaces AckWait.
func (b *Broker) ackDeadline(nd uint64) time.Duration {
	if l := len(b.opts.BackOff); l > 0 {
		return b.opts.BackOff[min(max(int(nd)-1, 0), l-1)]
	}
	return b.opts.AckWait
}

// keepAlive sends progress acks for one delivery until stopped.
type keepAlive struct {
	mu      sync.Mutex
	msg     jetstream.Msg
	every   time.Duration
	timer   *time.Timer
	stopped bool
}

func startKeepAlive(msg jetstream.Msg, every time.Duration) *keepAlive {
	k := &keepAlive{msg: msg, every: every}
	k.mu.Lock()
	k.timer = time.AfterFunc(every, k.beat)
	k.mu.Unlock()
	return k
}

func (k *keepAlive) beat() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return
	}
	_ = k.msg.InProgress() // a lost beat only risks an early redelivery
	k.timer.Reset(k.every)
}

func (k *keepAlive) stop() {
	k.mu.Lock()
	k.stopped = true
	k.timer.Stop()
	k.mu.Unlock()
}

// holds are deliveries waiting locally out a short Nak delay.
type holds struct {
	mu     sync.Mutex
	timers map[*time.Timer]*keepAlive
	closed bool
}

func newHolds() *holds { return &holds{timers: map[*time.Timer]*keepAlive{}} }

// hold keeps jm alive for delay, then Naks it for immediate redelivery.
func (h *holds) hold(jm jetstream.Msg, delay, beat time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return // stopping: the server redelivers after the ack wait
	}
	ka := startKeepAlive(jm, beat)
	var t *time.Timer
	t = time.AfterFunc(delay, func() {
		h.mu.Lock()
		_, ok := h.timers[t]
		delete(h.timers, t)
		h.mu.Unlock()
		if ok {
			ka.stop()
			_ = jm.Nak()
		}
	})
	h.timers[t] = ka
}

// release drops every hold; the server redelivers those events after their
// ack wait.
func (h *holds) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for t, ka := range h.timers {
		t.Stop()
		ka.stop()
		delete(h.timers, t)
	}
}

// originalSubject undoes the replay prefix.
func originalSubject(subject string) string {
	if s, ok := strings.CutPrefix(subject, ReplaySubjectPrefix); ok {
		return s
	}
	return subject
}

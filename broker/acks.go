package broker

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/internal/jsack"
)

// pubAcks publishes messages to JetStream and matches their
// acknowledgements, which arrive on one wildcard reply subscription: a
// write costs a publish and a map entry, where nats.go's PublishAsync
// allocates a future with two channels and its options on every call. It
// is the ledger's write path, one write per notification; the writes go
// out through the broker's outbox, in bursts.
type pubAcks struct {
	out    *outbox
	prefix string // reply subject prefix: "<inbox>."
	sub    *nats.Subscription

	resendAfter time.Duration // how long a write may go unanswered before it is sent again

	mu      sync.Mutex
	next    uint64
	waiting map[uint64]*ackBatch
	sweep   *time.Timer // armed while writes are awaited (one timer for all)
	armed   bool
}

// writeResend is how long a ledger write may go unanswered before it is
// sent again: long beyond a healthy stream's answer, short against the
// ledger's deadline, so a write lost with a dying stream leader is
// stored once the new leader is elected.
const writeResend = 2 * time.Second

// ackBatch is a set of writes awaited together.
type ackBatch struct {
	owner    *pubAcks
	ids      []uint64
	subjects []string
	replies  []string
	data     []byte
	left     atomic.Int32
	mu       sync.Mutex
	err      error
	finished atomic.Bool
	done     func(error)
	deadline time.Time
	sent     time.Time // when the writes still awaited were last sent (guarded by owner.mu)
	// Room for a batch of one write, the common case (a notification's
	// ledger key), so that it allocates the batch only.
	oneID    [1]uint64
	oneReply [1]string
}

func newPubAcks(nc *nats.Conn, out *outbox) (*pubAcks, error) {
	p := &pubAcks{out: out, prefix: nc.NewInbox() + ".", waiting: map[uint64]*ackBatch{}, resendAfter: writeResend}
	p.sweep = time.AfterFunc(time.Hour, p.sweepDue)
	p.sweep.Stop()
	sub, err := nc.Subscribe(p.prefix+"*", p.onAck)
	if err != nil {
		return nil, fmt.Errorf("acknowledgement subscription: %w", err)
	}
	p.sub = sub
	return p, nil
}

// publishAll publishes data on every subject and waits until JetStream
// stored each one, or ctx ends, or a write failed.
func (p *pubAcks) publishAll(ctx context.Context, subjects []string, data []byte) error {
	timeout := ledgerTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	ch := make(chan error, 1)
	b := p.publishAsync(subjects, data, timeout, func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		if b != nil {
			b.finish(ctx.Err())
		}
		return ctx.Err()
	}
}

// publishAsync publishes data on every subject and returns at once; done
// is called once, when JetStream stored each one (nil), a write failed, or
// timeout passed (context.DeadlineExceeded). done runs on the goroutine
// that settled the last write: the acknowledgement subscription's, the
// sweep timer's, or a fresh one when a write could not be published; it
// must not wait for another of these writes. The batch is returned so that
// a caller giving up may finish it; nil when there was nothing to write.
func (p *pubAcks) publishAsync(subjects []string, data []byte, timeout time.Duration, done func(error)) *ackBatch {
	if len(subjects) == 0 {
		done(nil) // no acknowledgement would ever finish the batch
		return nil
	}
	now := time.Now()
	b := &ackBatch{owner: p, subjects: subjects, data: data, done: done, deadline: now.Add(timeout), sent: now}
	if len(subjects) == 1 {
		b.ids, b.replies = b.oneID[:0], b.oneReply[:]
	} else {
		b.ids, b.replies = make([]uint64, 0, len(subjects)), make([]string, len(subjects))
	}
	b.left.Store(int32(len(subjects)))
	p.mu.Lock()
	first := p.next + 1
	p.next += uint64(len(subjects))
	p.mu.Unlock()
	// The batch is complete before the sweep can see it (it resends from
	// ids and replies under p.mu).
	var buf [128]byte
	reply := buf[:0]
	for i := range subjects {
		id := first + uint64(i)
		b.ids = append(b.ids, id)
		reply = strconv.AppendUint(append(reply[:0], p.prefix...), id, 10)
		b.replies[i] = string(reply)
	}
	p.mu.Lock()
	for _, id := range b.ids {
		p.waiting[id] = b
	}
	p.armLocked()
	p.mu.Unlock()
	for i := range subjects {
		p.out.add(outgoing{subject: subjects[i], reply: b.replies[i], data: data, batch: b, id: b.ids[i]})
	}
	return b
}

// sweepEvery is how often the sweep looks at the writes awaited.
func (p *pubAcks) sweepEvery() time.Duration { return max(p.resendAfter/2, time.Millisecond) }

// armLocked arms the sweep if it is not; p.mu is held.
func (p *pubAcks) armLocked() {
	if !p.armed {
		p.armed = true
		p.sweep.Reset(p.sweepEvery())
	}
}

// sweepDue gives up the batches past their deadline and sends again the
// writes unanswered for resendAfter: a write whose stream leader died
// before it answered is never acknowledged; a key stored twice holds the
// same value, and each write settles once, whichever acknowledgement comes
// first. It re-arms itself while writes are awaited.
func (p *pubAcks) sweepDue() {
	now := time.Now()
	var expired []*ackBatch
	var resend []outgoing
	p.mu.Lock()
	seen := map[*ackBatch]bool{}
	for _, b := range p.waiting {
		if seen[b] {
			continue
		}
		seen[b] = true
		switch {
		case !now.Before(b.deadline):
			expired = append(expired, b)
		case now.Sub(b.sent) >= p.resendAfter:
			b.sent = now
			for i, id := range b.ids {
				if p.waiting[id] == b {
					resend = append(resend, outgoing{subject: b.subjects[i], reply: b.replies[i], data: b.data, batch: b, id: id})
				}
			}
		}
	}
	p.armed = false
	if len(p.waiting) > 0 {
		p.armLocked()
	}
	p.mu.Unlock()
	for _, w := range resend {
		p.out.add(w)
	}
	for _, b := range expired {
		b.finish(context.DeadlineExceeded)
	}
}

// finish ends b with err, once: its writes still awaited are dropped and
// done is called.
func (b *ackBatch) finish(err error) {
	if !b.finished.CompareAndSwap(false, true) {
		return
	}
	b.owner.mu.Lock()
	for _, id := range b.ids {
		if b.owner.waiting[id] == b {
			delete(b.owner.waiting, id)
		}
	}
	b.owner.mu.Unlock()
	b.done(err)
}

// onAck settles the write an acknowledgement answers.
func (p *pubAcks) onAck(m *nats.Msg) {
	id, err := strconv.ParseUint(strings.TrimPrefix(m.Subject, p.prefix), 10, 64)
	if err != nil {
		return
	}
	if b := p.settle(id, jsack.Error(m)); b != nil {
		b.finish(b.err)
	}
}

// settle ends write id with err (nil: stored), once, and returns its
// batch if that was the batch's last write.
func (p *pubAcks) settle(id uint64, err error) *ackBatch {
	p.mu.Lock()
	b := p.waiting[id]
	delete(p.waiting, id)
	p.mu.Unlock()
	if b == nil {
		return nil // given up on already
	}
	if err != nil {
		b.mu.Lock()
		if b.err == nil {
			b.err = err
		}
		b.mu.Unlock()
	}
	if b.left.Add(-1) == 0 {
		return b
	}
	return nil
}

// fail ends write id of b, which could not be published. It runs inside
// the outbox's flush, so a batch it completes finishes on a goroutine of
// its own: done may queue writes, and the flush is not over.
func (b *ackBatch) fail(id uint64, err error) {
	if last := b.owner.settle(id, fmt.Errorf("publish: %w", err)); last != nil {
		go last.finish(last.err)
	}
}

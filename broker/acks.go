package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
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
}

// writeResend is how long a ledger write may go unanswered before it is
// sent again: long beyond a healthy stream's answer, short against the
// ledger's deadline, so a write lost with a dying stream leader is
// stored once the new leader is elected.
const writeResend = 2 * time.Second

// ackBatch is a set of writes awaited together.
type ackBatch struct {
	left  atomic.Int32
	mu    sync.Mutex
	err   error
	done  chan struct{}
	owner *pubAcks
	ids   []uint64
}

func newPubAcks(nc *nats.Conn, out *outbox) (*pubAcks, error) {
	p := &pubAcks{out: out, prefix: nc.NewInbox() + ".", waiting: map[uint64]*ackBatch{}, resendAfter: writeResend}
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
	if len(subjects) == 0 {
		return nil // no acknowledgement would ever finish the batch
	}
	b := &ackBatch{done: make(chan struct{}), owner: p, ids: make([]uint64, 0, len(subjects))}
	b.left.Store(int32(len(subjects)))
	p.mu.Lock()
	for range subjects {
		p.next++
		b.ids = append(b.ids, p.next)
		p.waiting[p.next] = b
	}
	p.mu.Unlock()
	replies := make([]string, len(subjects))
	var reply []byte
	for i, subject := range subjects {
		reply = strconv.AppendUint(append(reply[:0], p.prefix...), b.ids[i], 10)
		replies[i] = string(reply)
		p.out.add(outgoing{subject: subject, reply: replies[i], data: data, batch: b, id: b.ids[i]})
	}
	resend := time.NewTimer(p.resendAfter)
	defer resend.Stop()
	for {
		select {
		case <-b.done:
			return b.err
		case <-ctx.Done():
			b.forget()
			return ctx.Err()
		case <-resend.C:
			// A write whose stream leader died before it answered is
			// never acknowledged: send the unanswered ones again. A key
			// stored twice holds the same value, and each write settles
			// once, whichever acknowledgement comes first.
			for i, id := range b.ids {
				if b.awaited(id) {
					p.out.add(outgoing{subject: subjects[i], reply: replies[i], data: data, batch: b, id: id})
				}
			}
			resend.Reset(p.resendAfter)
		}
	}
}

// awaited reports whether write id of b has not been settled yet.
func (b *ackBatch) awaited(id uint64) bool {
	b.owner.mu.Lock()
	defer b.owner.mu.Unlock()
	return b.owner.waiting[id] == b
}

// forget drops b's writes still awaited.
func (b *ackBatch) forget() {
	b.owner.mu.Lock()
	for _, id := range b.ids {
		if b.owner.waiting[id] == b {
			delete(b.owner.waiting, id)
		}
	}
	b.owner.mu.Unlock()
}

// onAck settles the write an acknowledgement answers.
func (p *pubAcks) onAck(m *nats.Msg) {
	id, err := strconv.ParseUint(strings.TrimPrefix(m.Subject, p.prefix), 10, 64)
	if err != nil {
		return
	}
	p.settle(id, ackError(m))
}

// settle ends write id with err (nil: stored), once.
func (p *pubAcks) settle(id uint64, err error) {
	p.mu.Lock()
	b := p.waiting[id]
	delete(p.waiting, id)
	p.mu.Unlock()
	if b == nil {
		return // given up on already
	}
	if err != nil {
		b.mu.Lock()
		if b.err == nil {
			b.err = err
		}
		b.mu.Unlock()
	}
	if b.left.Add(-1) == 0 {
		close(b.done)
	}
}

// fail ends write id of b, which could not be published.
func (b *ackBatch) fail(id uint64, err error) {
	b.owner.settle(id, fmt.Errorf("publish: %w", err))
}

// ackError reads a JetStream publish acknowledgement: nil when stored.
func ackError(m *nats.Msg) error {
	if m.Header.Get("Status") == "503" {
		return nats.ErrNoResponders
	}
	if !bytes.Contains(m.Data, []byte(`"error"`)) {
		return nil
	}
	var a struct {
		Error *struct {
			Code        int    `json:"code"`
			ErrCode     int    `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
	}
	if err := json.Unmarshal(m.Data, &a); err != nil || a.Error == nil {
		return fmt.Errorf("unreadable acknowledgement %q", m.Data)
	}
	return fmt.Errorf("jetstream: %s (code %d, error %d)", a.Error.Description, a.Error.Code, a.Error.ErrCode)
}

package broker

import (
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Outbox tuning.
const (
	// outboxLinger is how long a write may wait for others to share its
	// socket write. It delays only acknowledgements of settled events and
	// the ledger's writes, never a call to Kore; a dispatcher held back by
	// unrecorded calls has them sent within outboxHurry (Ledger.FlushWrites).
	outboxLinger = 3 * time.Millisecond
	// outboxBatch writes are sent at once, without waiting out the linger:
	// about what the linger gathers at a few thousand notifications a
	// second. At full speed they gather within about a millisecond, so
	// acknowledgements do not wait long for a burst that is already
	// worth its write (waiting the whole linger there cost CPU).
	outboxBatch = 24
	// outboxHurry is how long writes may still wait once a caller waits
	// for them (soon): long enough to share a burst with the writes that
	// follow at full speed, short against a call to Kore.
	outboxHurry = 200 * time.Microsecond
)

// outbox gathers the broker's small writes that seldom need to go out at
// once — acknowledgements of settled events and the ledger's writes — and
// sends them together: at most outboxLinger after the first, at once when
// outboxBatch wait, within outboxHurry once a caller waits for them
// (soon). nats.go writes to the socket whenever its flusher wakes, so
// writes sent one by one as each event settles cost a system call each
// (and one read for the server); sent in a burst they share one. Safe for
// concurrent use.
type outbox struct {
	nc     *nats.Conn
	linger time.Duration

	mu      sync.Mutex
	queue   []outgoing
	armed   bool // the timer will flush queue
	hurried bool // the timer will flush queue within outboxHurry
	timer   *time.Timer

	sending sync.Mutex // one flush at a time; guards spare
	spare   []outgoing
}

// outgoing is one deferred write: an acknowledgement (ack set) or a
// publish expecting a JetStream acknowledgement on reply (write set).
type outgoing struct {
	ack jetstream.Msg
	// write: publish data to subject with reply; batch and id say which
	// ledger write it is, to fail it if the publish fails.
	subject, reply string
	data           []byte
	batch          *ackBatch
	id             uint64
}

func newOutbox(nc *nats.Conn, linger time.Duration) *outbox {
	o := &outbox{nc: nc, linger: linger}
	o.timer = time.AfterFunc(time.Hour, o.flush)
	o.timer.Stop()
	return o
}

// ack acknowledges m with the next burst.
func (o *outbox) ack(m jetstream.Msg) { o.add(outgoing{ack: m}) }

// add queues w.
func (o *outbox) add(w outgoing) {
	o.mu.Lock()
	o.queue = append(o.queue, w)
	full := len(o.queue) >= outboxBatch
	if !full && !o.armed {
		o.armed = true
		o.timer.Reset(o.linger)
	}
	o.mu.Unlock()
	if full {
		o.flush()
	}
}

// soon has the queued writes sent within outboxHurry rather than at the
// end of the linger: for a caller that waits for them.
func (o *outbox) soon() {
	o.mu.Lock()
	if len(o.queue) > 0 && !o.hurried {
		o.armed, o.hurried = true, true
		o.timer.Reset(outboxHurry)
	}
	o.mu.Unlock()
}

// flush sends every queued write, back to back.
func (o *outbox) flush() {
	o.sending.Lock()
	defer o.sending.Unlock()
	o.mu.Lock()
	ws := o.queue
	o.queue = o.spare[:0]
	o.armed, o.hurried = false, false
	o.mu.Unlock()
	for i := range ws {
		o.send(&ws[i])
	}
	clear(ws)
	o.spare = ws
}

// send performs one write. A failed acknowledgement is not reported: the
// event comes back after its ack wait and the ledger suppresses what was
// already sent. A failed ledger write fails its batch.
func (o *outbox) send(w *outgoing) {
	if w.ack != nil {
		_ = w.ack.Ack()
		return
	}
	if err := o.nc.PublishRequest(w.subject, w.reply, w.data); err != nil {
		w.batch.fail(w.id, err)
	}
}

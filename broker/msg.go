package broker

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// Msg is one event delivery handed to a Handler.
type Msg struct {
	// EventID is "<stream>-<sequence>" in lower case (rules.Event.ID), kept
	// for life: a redelivery and a replay carry the first delivery's id. In
	// core-NATS mode it is HeaderEventID or a unique "core-<nuid>"; a dry
	// run's own events are "dryrun-<nuid>".
	EventID string
	// Subject is the subject the event was published on (for a replayed
	// event, its original subject).
	Subject string
	// Header holds the message headers.
	Header nats.Header
	// Data is the message body.
	Data []byte
	// Received is when the stream stored the event (core NATS: when it arrived).
	Received time.Time
	// NumDelivered counts deliveries of this event, 1 for the first.
	NumDelivered uint64
	// Stream and Sequence locate this delivery's message (empty and 0 in
	// core-NATS mode); a replayed event has a new sequence but its old id.
	Stream   string
	Sequence uint64
	// Replayed is set on an event put back by `korelay dlq replay`: it may
	// have been partly notified before, so the ledger must be consulted.
	Replayed bool
	// LastAttempt is set when no redelivery follows this one (MaxDeliver
	// reached, or core NATS). A Nak on the last attempt is dead-lettered
	// with reason "exhausted" and terminated.
	LastAttempt bool
}

// Handler processes one event delivery and settles it by calling done,
// exactly once, with its verdict: before it returns, or later from any
// goroutine (calls after the first are ignored). Handlers run on a few
// shared workers, so a handler that waits (for Kore, say) returns first and
// calls done when the wait is over. ctx is cancelled only when a graceful
// stop runs out of drain time; Consume then settles what is left itself.
type Handler func(ctx context.Context, m Msg, done func(Disposition))

// Sync adapts a handler that has its verdict when it returns.
func Sync(h func(ctx context.Context, m Msg) Disposition) Handler {
	return func(ctx context.Context, m Msg, done func(Disposition)) { done(h(ctx, m)) }
}

type dispositionKind uint8

const (
	dispAck dispositionKind = iota
	dispNak
	dispTerm
)

// Disposition is a Handler's verdict on a delivery: Ack, Nak or Term. The
// zero value is Ack.
type Disposition struct {
	kind  dispositionKind
	delay time.Duration
}

// Ack marks the event done: every notification was delivered, dead-lettered
// or found already sent.
func Ack() Disposition { return Disposition{kind: dispAck} }

// Nak asks for redelivery after delay (0: at once). The delay holds whatever
// BackOff says; on later deliveries a delay shorter than the server's backoff
// skew is waited out in process, with the event kept in flight.
func Nak(delay time.Duration) Disposition { return Disposition{kind: dispNak, delay: delay} }

// Term drops the event for good, without redelivery (dead-letter it first).
func Term() Disposition { return Disposition{kind: dispTerm} }

// String names the disposition, e.g. "nak(5s)".
func (d Disposition) String() string {
	switch d.kind {
	case dispNak:
		return fmt.Sprintf("nak(%s)", d.delay)
	case dispTerm:
		return "term"
	default:
		return "ack"
	}
}

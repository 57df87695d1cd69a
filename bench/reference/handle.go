package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// maxDeliver bounds deliveries of one event; the last failure is logged.
const maxDeliver = 10

// order is the part of an order event the pipeline reads. The id stays a
// json.Number, so its digits are sent exactly as written.
type order struct {
	ID       json.Number `json:"id"`
	Status   string      `json:"status"`
	Customer struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"customer"`
}

// errBadEvent marks an event that can never be notified.
var errBadEvent = errors.New("bad event")

// decode reads an order event.
func decode(data []byte) (order, error) {
	var o order
	if err := json.Unmarshal(data, &o); err != nil {
		return o, errors.Join(errBadEvent, err)
	}
	return o, nil
}

// text renders the confirmation, or fails for an event missing a field.
func (o order) text() (string, error) {
	if o.ID == "" || o.Customer.Name == "" || o.Customer.Email == "" {
		return "", errors.Join(errBadEvent, errors.New("paid order without id, customer name or e-mail"))
	}
	return "Hi " + o.Customer.Name + ", order " + o.ID.String() + " is confirmed.", nil
}

// handle processes one message: paid orders are notified, then every
// message is acked; failures are redelivered with backoff or terminated.
func handle(ctx context.Context, m jetstream.Msg, w *worker, log *slog.Logger) {
	var d delivery
	if w.n.ledger != nil {
		md, err := m.Metadata()
		if err != nil {
			retry(m, err, log)
			return
		}
		d = delivery{key: "seq-" + strconv.FormatUint(md.Sequence.Stream, 10), redelivered: md.NumDelivered > 1}
	}
	f, err := process(ctx, m.Data(), d, w)
	switch {
	case err == nil && f != nil:
		w.pending <- pendingAck{m: m, f: f} // acked once the ledger has it
	case err == nil:
		_ = m.Ack()
	case errors.Is(err, errBadEvent), errors.Is(err, errPermanent):
		log.Error("dropping event", "subject", m.Subject(), "err", err)
		_ = m.Term()
	default:
		retry(m, err, log)
	}
}

// delivery is what the ledger needs of a message: the event's key (its
// stream sequence) and whether it was delivered before.
type delivery struct {
	key         string
	redelivered bool
}

// process decodes, filters and notifies one event. With a ledger, an event
// delivered before is looked up first, and a notification's entry is
// published: the event may be acked once the returned future resolves.
func process(ctx context.Context, data []byte, d delivery, w *worker) (jetstream.PubAckFuture, error) {
	o, err := decode(data)
	if err != nil || o.Status != "paid" {
		return nil, err
	}
	text, err := o.text()
	if err != nil {
		return nil, err
	}
	l := w.n.ledger
	if l == nil {
		return nil, w.notify(ctx, o.Customer.Email, text)
	}
	if d.redelivered {
		if seen, err := l.seen(ctx, d.key); err != nil || seen {
			return nil, err
		}
	}
	if err := w.notify(ctx, o.Customer.Email, text); err != nil {
		return nil, err
	}
	return l.record(d.key)
}

// retry asks for redelivery after an exponential backoff, or gives the
// event up on its last delivery.
func retry(m jetstream.Msg, cause error, log *slog.Logger) {
	md, err := m.Metadata()
	if err != nil || md.NumDelivered >= maxDeliver {
		log.Error("giving event up", "subject", m.Subject(), "err", cause)
		_ = m.Term()
		return
	}
	delay := min(time.Second<<(md.NumDelivered-1), 30*time.Second)
	log.Warn("retrying event", "subject", m.Subject(), "delivery", md.NumDelivered, "in", delay, "err", cause)
	_ = m.NakWithDelay(delay)
}

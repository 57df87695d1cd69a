package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/metrics"
)

// deadLetterStore is where dead letters go: the transport.
type deadLetterStore interface {
	DeadLetter(ctx context.Context, d broker.DeadLetter) error
}

// deadLetters is the one owner of dead letters: it stores a letter, then
// counts and logs it, so a letter that could not be stored (and comes back
// with its redelivered event) is counted once, when it is.
type deadLetters struct {
	store   deadLetterStore
	metrics *metrics.Metrics
	log     *slog.Logger
}

// put stores dl. Where the transport keeps no dead letters (core NATS, dry
// run) the letter is logged whole instead and counts as put. An error
// means the caller must redeliver the event.
func (d *deadLetters) put(ctx context.Context, dl broker.DeadLetter) error {
	err := d.store.DeadLetter(ctx, dl)
	attrs := []any{"event_id", dl.EventID, "rule", dl.Rule, "reason", dl.Reason,
		"identities", len(dl.Identities), "err", dl.Error}
	switch {
	case errors.Is(err, broker.ErrNotStored):
		d.log.Error("dead-lettered", append(attrs, "stored", false)...)
	case err != nil:
		return fmt.Errorf("store dead letter of event %s: %w", dl.EventID, err)
	default:
		d.log.Warn("dead-lettered", append(attrs, "stored", true)...)
	}
	d.metrics.DeadLetters.WithLabelValues(dl.Rule, dl.Reason).Inc()
	return nil
}

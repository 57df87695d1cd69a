package broker

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
)

// Publish stores msg in the ingest stream and returns its event id,
// "<stream>-<sequence>" in lower case. A Nats-Msg-Id header seen within the
// duplicate window stores nothing and returns the first message's id, so a
// retried webhook or a second replica's cron fire yields one event.
func (b *Broker) Publish(ctx context.Context, msg *nats.Msg) (eventID string, err error) {
	ack, err := b.js.PublishMsg(ctx, msg)
	if err != nil {
		return "", fmt.Errorf("publish %s: %w", msg.Subject, err)
	}
	return eventIDOf(ack.Stream, ack.Sequence), nil
}

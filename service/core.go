package service

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/broker"
)

// deadLetterer stores dead letters: the JetStream DLQ stream, or the log
// in core-NATS mode.
type deadLetterer interface {
	DeadLetter(ctx context.Context, dl broker.DeadLetter) error
}

// corePublisher publishes on core NATS: at-most-once, nothing is stored.
type corePublisher struct{ nc *nats.Conn }

func (p corePublisher) Publish(_ context.Context, msg *nats.Msg) (string, error) {
	id := broker.CoreEventID()
	if msg.Header == nil {
		msg.Header = nats.Header{}
	}
	msg.Header.Set(broker.HeaderEventID, id)
	if err := p.nc.PublishMsg(msg); err != nil {
		return "", fmt.Errorf("publish %s: %w", msg.Subject, err)
	}
	return id, nil
}

// loggedDeadLetters logs dead letters in core-NATS mode, where there is no
// dead-letter stream.
type loggedDeadLetters struct{ log *slog.Logger }

func (l loggedDeadLetters) DeadLetter(_ context.Context, dl broker.DeadLetter) error {
	l.log.Error("dead letter (core NATS mode: not stored)", "event_id", dl.EventID, "rule", dl.Rule,
		"reason", dl.Reason, "err", dl.Error, "identities", len(dl.Identities))
	return nil
}

// memoryCronState remembers cron fires in memory (core-NATS mode).
type memoryCronState struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func newMemoryCronState() *memoryCronState { return &memoryCronState{last: map[string]time.Time{}} }

func (m *memoryCronState) LastFired(_ context.Context, rule string) (time.Time, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.last[rule]
	return t, ok, nil
}

func (m *memoryCronState) SetLastFired(_ context.Context, rule string, t time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.last[rule] = t
	return nil
}

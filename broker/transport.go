package broker

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// Mode says how korelay uses NATS.
type Mode int

// The modes of a Transport.
const (
	// ModeJetStream stores every event in the ingest stream and processes it
	// through the durable consumer shared by all replicas: at-least-once.
	ModeJetStream Mode = iota
	// ModeCore receives events on plain core NATS subscriptions in a queue
	// group shared by replicas: at-most-once, nothing is stored.
	ModeCore
	// ModeObserve is a dry run's: it watches events without taking them
	// from a live instance and changes nothing shared (see NewObserver).
	ModeObserve
)

// String names the mode as logs show it.
func (m Mode) String() string {
	switch m {
	case ModeJetStream:
		return "jetstream"
	case ModeCore:
		return "core"
	case ModeObserve:
		return "observe"
	}
	return fmt.Sprintf("mode(%d)", int(m))
}

// KeyLedger remembers idempotency keys (the delivery ledger).
type KeyLedger interface {
	// Seen reports, for each key, whether it was recorded and has not expired.
	Seen(ctx context.Context, keys []string) ([]bool, error)
	// Record stores keys for ttl.
	Record(ctx context.Context, keys []string, ttl time.Duration) error
}

// FireStore remembers the last fire of each cron rule.
type FireStore interface {
	// LastFired returns the scheduled time of rule's last fire; ok is false
	// when it never fired.
	LastFired(ctx context.Context, rule string) (t time.Time, ok bool, err error)
	// SetLastFired records the scheduled time of a fire.
	SetLastFired(ctx context.Context, rule string, t time.Time) error
}

// Transport is how events reach korelay and where what it must remember is
// kept. Three implementations: the JetStream Broker, core NATS, and the
// dry run's observer. All are safe for concurrent use.
type Transport interface {
	// Publish hands on an event korelay produced itself (a webhook or a
	// cron fire) and returns its event id. A Nats-Msg-Id header seen before
	// within the duplicate window yields the first event's id (JetStream).
	Publish(ctx context.Context, msg *nats.Msg) (eventID string, err error)
	// Consume hands events to h until ctx ends, then drains: it returns only
	// once every handler it started has returned.
	Consume(ctx context.Context, h Handler) error
	// UpdateSubjects follows the rules' NATS subjects after a reload.
	UpdateSubjects(ctx context.Context, subjects []string) error
	// DeadLetter stores a dead letter; where nothing is stored (core NATS,
	// dry run) it returns ErrNotStored and the caller logs it.
	DeadLetter(ctx context.Context, d DeadLetter) error
	// Keys is the idempotency ledger.
	Keys() KeyLedger
	// Fires is the store of cron rules' last fires.
	Fires() FireStore
	// Mode says which transport this is.
	Mode() Mode
	// Started is closed once Consume reads events: events published after
	// that reach the handler even where nothing is stored (core NATS, a
	// dry run's plain subscriptions).
	Started() <-chan struct{}
}

// startSignal is closed once, when a Consume has started reading.
type startSignal struct {
	once sync.Once
	ch   chan struct{}
}

func newStartSignal() startSignal { return startSignal{ch: make(chan struct{})} }

func (s *startSignal) done() { s.once.Do(func() { close(s.ch) }) }

// ErrNotStored is returned by DeadLetter where dead letters cannot be
// stored (core NATS mode, dry run).
var ErrNotStored = fmt.Errorf("dead letter not stored: no dead-letter stream in this mode")

// Compile-time checks that each transport is one.
var (
	_ Transport = (*Broker)(nil)
	_ Transport = (*Core)(nil)
	_ Transport = (*Observer)(nil)
)

// NewTransport sets up the transport of mode on nc: for ModeJetStream the
// streams, consumer and buckets (New); for ModeCore nothing but the
// subscriptions made by Consume; for ModeObserve nothing shared at all.
func NewTransport(ctx context.Context, nc *nats.Conn, mode Mode, opts Options) (Transport, error) {
	switch mode {
	case ModeJetStream:
		return New(ctx, nc, opts)
	case ModeCore:
		return NewCore(nc, opts)
	case ModeObserve:
		return NewObserver(ctx, nc, opts)
	}
	return nil, fmt.Errorf("broker: unknown mode %v", mode)
}

// Keys is the idempotency ledger (Transport).
func (b *Broker) Keys() KeyLedger { return b.ledger }

// Fires is the cron state (Transport).
func (b *Broker) Fires() FireStore { return b.cron }

// Mode is ModeJetStream (Transport).
func (b *Broker) Mode() Mode { return ModeJetStream }

// Started is closed once Consume pulls from the durable consumer.
func (b *Broker) Started() <-chan struct{} { return b.started.ch }

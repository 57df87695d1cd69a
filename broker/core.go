package broker

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"
)

// Core is the transport for deployments without JetStream
// (nats.jetstream: false): plain core NATS subscriptions in a queue group
// shared by the replicas. It is at-most-once: a message is gone once
// received, whatever the handler answers (Msg.LastAttempt is always set),
// and messages published while korelay is down or disconnected are lost.
// Nothing is stored: dead letters are refused with ErrNotStored, and the
// ledger and cron state live in process.
type Core struct {
	nc      *nats.Conn
	opts    Options
	keys    *MemoryLedger
	fires   *MemoryCronState
	started startSignal

	mu       sync.Mutex
	subjects []string       // the rules' subjects
	subs     *subscriptions // while Consume runs
}

// NewCore returns the core-NATS transport for the rules' subjects
// (Options.Subjects) on nc; Options.Consumer names the queue group.
func NewCore(nc *nats.Conn, opts Options) (*Core, error) {
	opts.setDefaults()
	subjects, err := normalizeSubjects(opts.Subjects)
	if err != nil {
		return nil, fmt.Errorf("core nats subjects: %w", err)
	}
	return &Core{nc: nc, opts: opts, keys: NewMemoryLedger(), fires: NewMemoryCronState(),
		subjects: subjects, started: newStartSignal()}, nil
}

// Publish sends msg on core NATS with a new event id in HeaderEventID, so
// the id a webhook answers with is the one its logs carry.
func (c *Core) Publish(_ context.Context, msg *nats.Msg) (string, error) {
	id := CoreEventID()
	if msg.Header == nil {
		msg.Header = nats.Header{}
	}
	msg.Header.Set(HeaderEventID, id)
	if err := c.nc.PublishMsg(msg); err != nil {
		return "", fmt.Errorf("publish %s: %w", msg.Subject, err)
	}
	return id, nil
}

// Consume subscribes to the rules' subjects and korelay's own webhook and
// cron subjects in the queue group and hands each message to h until ctx
// ends. Then it drains the subscriptions, waits up to DrainTimeout for
// running handlers, cancels their context and waits for them to return.
func (c *Core) Consume(ctx context.Context, h Handler) error {
	fl := newFlow(ctx, h, c.opts.MaxAckPending, nil)
	subs := newSubscriptions(c.nc, c.opts.Consumer, func(m *nats.Msg) {
		fl.submit(fl.ctx, coreMsg(m), nil, 0)
	})
	c.mu.Lock()
	err := subs.set(c.patterns())
	c.subs = subs
	c.mu.Unlock()
	if err == nil {
		err = c.nc.Flush() // the server has the subscriptions
	}
	if err == nil {
		c.started.done()
		<-ctx.Done()
	}
	c.mu.Lock()
	c.subs = nil
	c.mu.Unlock()
	subs.drain(c.opts.DrainTimeout)
	fl.drain(c.opts.DrainTimeout, Ack())
	return err
}

// patterns are the subjects Consume subscribes to. The caller holds c.mu.
func (c *Core) patterns() []string {
	all, err := normalizeSubjects(append(slices.Clone(c.subjects), WebhookSubjects, CronSubjects))
	if err != nil { // c.subjects were checked; korelay's own are valid
		return c.subjects
	}
	return all
}

// UpdateSubjects follows a reload: subscriptions for new subjects start at
// once, those for subjects no longer used are drained.
func (c *Core) UpdateSubjects(_ context.Context, subjects []string) error {
	subjects, err := normalizeSubjects(subjects)
	if err != nil {
		return fmt.Errorf("core nats subjects: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subjects = subjects
	if c.subs != nil {
		return c.subs.set(c.patterns())
	}
	return nil
}

// DeadLetter returns ErrNotStored: core NATS keeps no dead letters.
func (c *Core) DeadLetter(context.Context, DeadLetter) error { return ErrNotStored }

// Keys is the in-process ledger.
func (c *Core) Keys() KeyLedger { return c.keys }

// Fires is the in-process cron state.
func (c *Core) Fires() FireStore { return c.fires }

// Mode is ModeCore.
func (c *Core) Mode() Mode { return ModeCore }

// Started is closed once Consume's subscriptions are in place.
func (c *Core) Started() <-chan struct{} { return c.started.ch }

// HeaderEventID carries the event id of an event published on core NATS,
// where no stream sequence exists: the id a webhook answered with is the id
// its logs and dead letters carry.
const HeaderEventID = "Korelay-Event-Id"

// CoreEventID returns a new unique event id for core-NATS mode,
// "core-<nuid>".
func CoreEventID() string { return "core-" + nuid.Next() }

// coreMsg is the delivery of a core NATS message: its HeaderEventID, or a
// new id for messages others published.
func coreMsg(m *nats.Msg) Msg {
	id := m.Header.Get(HeaderEventID)
	if id == "" {
		id = CoreEventID()
	}
	return Msg{
		EventID:      id,
		Subject:      m.Subject,
		Header:       m.Header,
		Data:         m.Data,
		Received:     time.Now(),
		NumDelivered: 1,
		LastAttempt:  true,
	}
}

package broker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Names and subjects of the held store. Items wait on
// korelay.held.items.SLOT; each slot has one schedule message on
// korelay.held.sched.SLOT that the server turns into a message on
// korelay.held.due.SLOT at the slot's time, which the durable consumer
// hands to one replica.
const (
	DefaultHeldStream   = "KORELAY_HELD"
	DefaultHeldConsumer = "korelay-held"
	// HeldSubjects is what the held stream captures.
	HeldSubjects = "korelay.held.>"
	// HeaderHeldKey carries an item's key.
	HeaderHeldKey = "Korelay-Held-Key"

	heldItems = "korelay.held.items."
	heldSched = "korelay.held.sched."
	heldDue   = "korelay.held.due."
)

// Tuning of the held store.
const (
	// heldDuplicates is the held stream's Nats-Msg-Id window: an item held
	// again within it (its event redelivered) is stored once. Older
	// repeats are dropped when the slot is read.
	heldDuplicates = time.Hour
	// releaseParallel bounds the slots one replica releases at once.
	releaseParallel = 4
	// rescheduleMargin: a slot this process scheduled is scheduled again
	// for a new item only when its time is nearer than this (it may have
	// fired already, by a NATS server whose clock runs ahead).
	rescheduleMargin = 30 * time.Second
	// DefaultHeldSweep is how often Release looks for slots past due whose
	// schedule is gone, and how far past due they must be.
	DefaultHeldSweep = time.Minute
	// readTimeout bounds reading one slot's items.
	readTimeout = 2 * time.Minute
)

// HeldOptions configures a JetStreamHeld. Zero fields take the defaults.
type HeldOptions struct {
	// Stream and Consumer name the held stream and its durable consumer,
	// shared by every replica.
	Stream, Consumer string
	// Replicas is the stream's replication on a NATS cluster (0: 1).
	Replicas int
	// AckWait is how long a release may go without a sign of life before
	// another replica takes it over (0: DefaultAckWait).
	AckWait time.Duration
	// DrainTimeout bounds how long Release waits for the releases under
	// way once its context ends (0: DefaultDrainTimeout).
	DrainTimeout time.Duration
	// Sweep is how often Release looks for slots whose items are more than
	// Sweep past due while no release is under way, and schedules them
	// again (0: DefaultHeldSweep). Nothing korelay does loses a schedule;
	// this bounds the damage should one be lost anyway.
	Sweep time.Duration
	// Logger receives what Release cannot return; nil discards.
	Logger *slog.Logger
}

// JetStreamHeld keeps held notifications in a JetStream stream with
// message schedules (nats-server 2.12 or later): they survive restarts,
// and each slot is released by one replica. Safe for concurrent use.
type JetStreamHeld struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	opts   HeldOptions

	mu        sync.Mutex
	scheduled map[string]time.Time // slot name → when its schedule fires
}

// NewHeldStore creates or updates the held stream and its consumer. On a
// NATS server that cannot schedule messages it returns an error wrapping
// ErrSchedulesUnsupported.
func NewHeldStore(ctx context.Context, nc *nats.Conn, opts HeldOptions) (*JetStreamHeld, error) {
	opts.Stream = cmp.Or(opts.Stream, DefaultHeldStream)
	opts.Consumer = cmp.Or(opts.Consumer, DefaultHeldConsumer)
	opts.Replicas = cmp.Or(opts.Replicas, 1)
	opts.AckWait = cmp.Or(opts.AckWait, DefaultAckWait)
	opts.DrainTimeout = cmp.Or(opts.DrainTimeout, DefaultDrainTimeout)
	opts.Sweep = cmp.Or(opts.Sweep, DefaultHeldSweep)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	s, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:              opts.Stream,
		Description:       "korelay held notifications (quiet hours, digests): items, schedules and releases",
		Subjects:          []string{HeldSubjects},
		Storage:           jetstream.FileStorage,
		Retention:         jetstream.LimitsPolicy,
		Duplicates:        heldDuplicates,
		Replicas:          opts.Replicas,
		AllowMsgSchedules: true,
		AllowRollup:       true,
		AllowDirect:       true,
	})
	if err != nil {
		return nil, fmt.Errorf("held stream %s: %w", opts.Stream, err)
	}
	if !s.CachedInfo().Config.AllowMsgSchedules {
		return nil, fmt.Errorf("held stream %s: %w", opts.Stream, ErrSchedulesUnsupported)
	}
	_, err = js.CreateOrUpdateConsumer(ctx, opts.Stream, jetstream.ConsumerConfig{
		Durable:       opts.Consumer,
		Description:   "korelay releases of held notifications, shared by all replicas",
		FilterSubject: heldDue + ">",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       opts.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: 16 * releaseParallel,
	})
	if err != nil {
		return nil, fmt.Errorf("held consumer %s on stream %s: %w", opts.Consumer, opts.Stream, err)
	}
	return &JetStreamHeld{js: js, stream: s, opts: opts, scheduled: map[string]time.Time{}}, nil
}

// Hold stores item in slot, then makes sure the slot is scheduled for at.
// Both are stored before it returns; an event is acknowledged only after,
// so a crash in between holds the item again when the event comes back.
func (h *JetStreamHeld) Hold(ctx context.Context, slot HeldSlot, at time.Time, item HeldItem) error {
	if err := checkSlot(slot); err != nil {
		return err
	}
	name := slot.name()
	msg := nats.NewMsg(heldItems + name)
	msg.Data = item.Data
	msg.Header.Set(HeaderHeldKey, item.Key)
	msg.Header.Set(jetstream.MsgIDHeader, "held:"+name+":"+item.Key)
	if _, err := h.js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("hold in %s: %w", name, err)
	}
	at = at.Round(time.Second)
	h.mu.Lock()
	prev, ok := h.scheduled[name]
	h.mu.Unlock()
	if ok && prev.Equal(at) && time.Until(at) > rescheduleMargin {
		return nil // this process scheduled it, and it cannot have fired
	}
	return h.schedule(ctx, name, at)
}

// schedule stores the slot's schedule message, firing at at; it replaces
// the slot's previous one.
func (h *JetStreamHeld) schedule(ctx context.Context, name string, at time.Time) error {
	msg := nats.NewMsg(heldSched + name)
	_, err := h.js.PublishMsg(ctx, msg, jetstream.WithScheduleAt(at), jetstream.WithScheduleTarget(heldDue+name))
	if err != nil {
		return fmt.Errorf("schedule %s at %s: %w", name, at.Format(time.RFC3339), err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	for n, t := range h.scheduled {
		if t.Before(now) {
			delete(h.scheduled, n)
		}
	}
	h.scheduled[name] = at
	return nil
}

// Held counts the items held now, by kind.
func (h *JetStreamHeld) Held(ctx context.Context) (map[string]int, error) {
	slots, err := h.slots(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for slot, n := range slots {
		out[slot.Kind] += n
	}
	return out, nil
}

// slots lists the slots holding items, with their counts.
func (h *JetStreamHeld) slots(ctx context.Context) (map[HeldSlot]int, error) {
	info, err := h.stream.Info(ctx, jetstream.WithSubjectFilter(heldItems+">"))
	if err != nil {
		return nil, fmt.Errorf("held stream %s: %w", h.opts.Stream, err)
	}
	out := map[HeldSlot]int{}
	for subj, n := range info.State.Subjects {
		if slot, err := parseSlot(strings.TrimPrefix(subj, heldItems)); err == nil {
			out[slot] += int(n)
		}
	}
	return out, nil
}

// sweep schedules again, for now, every slot whose items are more than the
// sweep interval past due, provided no release is under way anywhere (a
// release in progress keeps its items until it is done).
func (h *JetStreamHeld) sweep(ctx context.Context, c jetstream.Consumer) {
	info, err := c.Info(ctx)
	if err != nil || info.NumAckPending > 0 || info.NumPending > 0 {
		return
	}
	slots, err := h.slots(ctx)
	if err != nil {
		return
	}
	late := time.Now().Add(-h.opts.Sweep)
	for slot, n := range slots {
		if !slot.Due.Before(late) {
			continue
		}
		h.opts.Logger.Warn("held notifications past due; releasing them now", "slot", slot.String(), "notifications", n)
		if err := h.schedule(ctx, slot.name(), time.Now().Truncate(time.Second)); err != nil {
			h.opts.Logger.Warn("held notifications past due not scheduled", "slot", slot.String(), "err", err)
		}
	}
}

// read returns the items of slot, without repeats, and the sequence of the
// last one (0: none).
func (h *JetStreamHeld) read(ctx context.Context, slot HeldSlot) ([]HeldItem, uint64, error) {
	subj := heldItems + slot.name()
	last, err := h.stream.GetLastMsgForSubject(ctx, subj)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", slot, err)
	}
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	c, err := h.js.OrderedConsumer(ctx, h.opts.Stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subj}})
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", slot, err)
	}
	it, err := c.Messages()
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", slot, err)
	}
	defer it.Stop()
	defer context.AfterFunc(ctx, it.Stop)()
	var items []HeldItem
	for {
		jm, err := it.Next()
		if err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", slot, cmp.Or(ctx.Err(), err))
		}
		items = append(items, HeldItem{Key: jm.Headers().Get(HeaderHeldKey), Data: jm.Data()})
		meta, err := jm.Metadata()
		if err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", slot, err)
		}
		if meta.Sequence.Stream >= last.Sequence {
			return dedupItems(items), meta.Sequence.Stream, nil
		}
	}
}

// drop removes the items of slot up to sequence last, the ones released.
// Items held for the slot after it was read stay, and its new schedule
// releases them.
func (h *JetStreamHeld) drop(ctx context.Context, slot HeldSlot, last uint64) error {
	err := h.stream.Purge(ctx, jetstream.WithPurgeSubject(heldItems+slot.name()), jetstream.WithPurgeSequence(last+1))
	if err != nil {
		return fmt.Errorf("drop released %s: %w", slot, err)
	}
	return nil
}

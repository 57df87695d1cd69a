package service

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/journal"
	"github.com/korelay/korelay/rules"
)

// journalCloseTimeout bounds the journal's last flush at shutdown.
const journalCloseTimeout = 3 * time.Second

// eventJournal is the service's side of the delivery journal: each hook
// builds its record on the stack and hands it to the journal's Writer,
// which encodes it at once and batches it for its goroutine to write. A
// nil eventJournal (journal.enabled: false) does nothing.
type eventJournal struct {
	w      *journal.Writer
	closed sync.Once
	mem    *journal.Memory
	bound  boundCache
	// stream is the journal stream (nil: a dry run or core NATS, whose
	// stories are kept in memory only).
	stream *journal.Reader
}

// newEventJournal builds the journal of a service on mode: records go to
// the journal stream with JetStream, and to memory only in a dry run (which
// must change nothing shared) or on core NATS.
func newEventJournal(ctx context.Context, s *Service, nc *nats.Conn, mode broker.Mode) (*eventJournal, error) {
	cfg := s.cfg.Journal
	if !cfg.On() {
		return nil, nil
	}
	onDrop := func(reason string, n int) { s.metrics.JournalDropped.WithLabelValues(reason).Add(float64(n)) }
	j := &eventJournal{mem: journal.NewMemory(0, nil)}
	opts := journal.WriterOptions{Memory: j.mem, OnDrop: onDrop}
	if mode == broker.ModeJetStream {
		js, err := jetstream.New(nc)
		if err != nil {
			return nil, err
		}
		stream, err := journal.EnsureStream(ctx, js, journal.StreamOptions{
			MaxAge: cfg.MaxAge, MaxBytes: int64(cfg.MaxBytes), Replicas: s.cfg.NATS.Replicas})
		if err != nil {
			return nil, err
		}
		sink, err := journal.NewStreamSink(nc, func(n int) { onDrop(journal.DropFailed, n) })
		if err != nil {
			return nil, err
		}
		opts.Sink, j.stream = sink, journal.NewReader(stream)
	}
	j.w = journal.NewWriter(opts)
	j.w.Start()
	return j, nil
}

// close flushes the journal, once; the pipeline and delivery have
// stopped.
func (j *eventJournal) close() error {
	if j == nil {
		return nil
	}
	var err error
	j.closed.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), journalCloseTimeout)
		defer cancel()
		if cerr := j.w.Close(ctx); cerr != nil {
			err = fmt.Errorf("journal: %w", cerr)
		}
	})
	return err
}

// evaluated records an evaluated event: its trigger, what each rule bound
// to it did, and the notifications rendered.
func (j *eventJournal) evaluated(m broker.Msg, ev *rules.Event, set *rules.Set, res *rules.Result) {
	if j != nil {
		j.writeEvaluated(m, ev, set, res, nil)
	}
}

// undecodable records an event that could not be decoded.
func (j *eventJournal) undecodable(m broker.Msg, ev *rules.Event, err error) {
	if j != nil {
		j.writeEvaluated(m, ev, nil, nil, err)
	}
}

// settled records delivery's outcomes for an event's notifications.
func (j *eventJournal) settled(m broker.Msg, ns []rules.Notification, outs []delivery.Outcome) {
	if j != nil {
		j.writeSettled(m, ns, outs)
	}
}

// held records a notification held for quiet hours or collected into a
// digest.
func (j *eventJournal) held(n *rules.Notification, slot broker.HeldSlot) {
	if j == nil {
		return
	}
	rec := journal.Record{Kind: journal.KindHeld, EventID: n.EventID, Time: time.Now(),
		Held: &journal.Held{Rule: n.Rule, Channel: n.Channel, Identities: len(n.Identities),
			Sample: journal.Sample(n.Identities), Until: n.Hold.Until, Note: n.Hold.Zone}}
	if n.Hold.Reason == rules.HoldDigest {
		rec.Kind, rec.Held.Digest = journal.KindDigested, slot.String()
	}
	j.w.Write(&rec, nil)
}

// released records what delivery did with an event's notifications held
// until slot.
func (j *eventJournal) released(slot broker.HeldSlot, outs []delivery.Outcome) {
	if j == nil {
		return
	}
	for i := range outs {
		o := &outs[i]
		note := o.Status.String()
		if o.JobID != "" {
			note += ", job " + o.JobID
		}
		rec := journal.Record{Kind: journal.KindReleased, EventID: o.EventID, Time: time.Now(),
			Held: &journal.Held{Rule: o.Rule, Channel: o.Channel, Identities: len(o.Identities),
				Sample: journal.Sample(o.Identities), Digest: digestOf(slot), Note: note}}
		j.w.Write(&rec, nil)
	}
}

// digestOf names a digest slot ("" for quiet hours).
func digestOf(slot broker.HeldSlot) string {
	if slot.Kind == broker.HeldDigest {
		return slot.String()
	}
	return ""
}

// interrupted records a delivery that stopped before it settled.
func (j *eventJournal) interrupted(m broker.Msg, err error) {
	if j != nil {
		d := deliveryOf(m)
		rec := journal.Record{Kind: journal.KindInterrupted, EventID: m.EventID, Time: time.Now(),
			Delivery: &d, Error: err.Error()}
		j.w.Write(&rec, nil)
	}
}

// call records a Kore call (delivery.Options.OnCall).
func (j *eventJournal) call(rec delivery.CallRecord) { j.writeCall(&rec) }

// memory is the journal's memory of the latest events (nil: no journal).
func (j *eventJournal) memory() *journal.Memory {
	if j == nil {
		return nil
	}
	return j.mem
}

// budgetUsage is a Kore budget that reports its spending: the shared
// budget, or delivery's local one.
type budgetUsage interface {
	Usage() broker.Usage
}

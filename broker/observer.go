package broker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// DryRunEventPrefix starts the ids of events a dry run produced itself
// (its webhooks and cron fires), which never leave the process.
const DryRunEventPrefix = "dryrun-"

// localQueue bounds the dry run's own events waiting for a handler.
const localQueue = 1024

// Observer is a dry run's transport. It changes nothing a live korelay
// shares and takes no event from one:
//
//   - events on the rules' NATS subjects that korelay's ingest stream (or
//     Options.ExternalStream) captures are read through an ephemeral
//     ordered consumer of its own, starting with new events, never acked;
//     the webhook events a live instance stores are observed the same way;
//   - subjects no stream captures, and every subject when there is no
//     stream or no JetStream, are read with plain core NATS subscriptions
//     (not the live instances' queue group);
//   - its own webhooks and cron fires (Publish) are handed to Consume in
//     process: nothing is stored where a live instance reads;
//   - the ledger and cron state live in memory, and dead letters are not
//     stored (ErrNotStored).
//
// Every delivery is a last attempt: nothing is redelivered.
type Observer struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	opts    Options
	local   chan Msg
	keys    *MemoryLedger
	fires   *MemoryCronState
	started startSignal

	mu       sync.Mutex
	subjects []string
	changed  chan struct{} // closed and replaced when subjects change
}

// NewObserver returns a dry run's transport on nc for Options.Subjects. It
// creates and changes nothing on the server.
func NewObserver(_ context.Context, nc *nats.Conn, opts Options) (*Observer, error) {
	opts.setDefaults()
	subjects, err := normalizeSubjects(opts.Subjects)
	if err != nil {
		return nil, fmt.Errorf("nats subjects: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	return &Observer{
		nc: nc, js: js, opts: opts, local: make(chan Msg, localQueue),
		keys: NewMemoryLedger(), fires: NewMemoryCronState(),
		subjects: subjects, changed: make(chan struct{}), started: newStartSignal(),
	}, nil
}

// Publish hands msg to Consume in process under a new "dryrun-" event id.
func (o *Observer) Publish(ctx context.Context, msg *nats.Msg) (string, error) {
	id := DryRunEventPrefix + nuid.Next()
	m := Msg{EventID: id, Subject: msg.Subject, Header: msg.Header, Data: msg.Data,
		Received: time.Now(), NumDelivered: 1, LastAttempt: true}
	select {
	case o.local <- m:
		return id, nil
	case <-ctx.Done():
		return "", fmt.Errorf("dry run: hand on %s: %w", msg.Subject, ctx.Err())
	}
}

// UpdateSubjects follows a reload: Consume re-plans its consumers and
// subscriptions, resuming stream reads after the last event seen.
func (o *Observer) UpdateSubjects(_ context.Context, subjects []string) error {
	subjects, err := normalizeSubjects(subjects)
	if err != nil {
		return fmt.Errorf("nats subjects: %w", err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if !slices.Equal(o.subjects, subjects) {
		o.subjects = subjects
		close(o.changed)
		o.changed = make(chan struct{})
	}
	return nil
}

// DeadLetter returns ErrNotStored: a dry run stores nothing.
func (o *Observer) DeadLetter(context.Context, DeadLetter) error { return ErrNotStored }

// Keys is the in-process ledger.
func (o *Observer) Keys() KeyLedger { return o.keys }

// Fires is the in-process cron state.
func (o *Observer) Fires() FireStore { return o.fires }

// Mode is ModeObserve.
func (o *Observer) Mode() Mode { return ModeObserve }

// Started is closed once Consume's readers and subscriptions are in place.
func (o *Observer) Started() <-chan struct{} { return o.started.ch }

// Consume hands observed and in-process events to h until ctx ends, then
// waits for the running handlers (up to DrainTimeout, then cancelled and
// waited for). Handlers' dispositions are ignored: nothing is acked.
func (o *Observer) Consume(ctx context.Context, h Handler) error {
	fl := newFlow(ctx, h, o.opts.MaxAckPending, nil)
	deliver := func(m Msg) { fl.submit(ctx, m, nil, 0) }
	subs := newSubscriptions(o.nc, "", func(m *nats.Msg) { deliver(coreMsg(m)) })
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case m := <-o.local:
				deliver(m)
			case <-ctx.Done():
				return
			}
		}
	})
	err := o.follow(ctx, subs, deliver)
	subs.drain(o.opts.DrainTimeout)
	wg.Wait()
	fl.drain(o.opts.DrainTimeout, Ack())
	return err
}

// follow keeps the stream readers and subscriptions in line with the
// subjects until ctx ends.
func (o *Observer) follow(ctx context.Context, subs *subscriptions, deliver func(Msg)) error {
	last := map[string]*atomic.Uint64{} // per stream: last sequence seen
	for {
		o.mu.Lock()
		subjects, changed := o.subjects, o.changed
		o.mu.Unlock()
		byStream, lastSeqs, plain := o.plan(ctx, subjects)
		if err := subs.set(plain); err != nil {
			return err
		}
		var readers []*streamReader
		for stream, filter := range byStream {
			if last[stream] == nil {
				// Start after what the stream held when korelay looked:
				// nothing published since is missed.
				last[stream] = &atomic.Uint64{}
				last[stream].Store(lastSeqs[stream])
			}
			r, err := o.read(ctx, stream, filter, last[stream], deliver)
			if err != nil {
				stopReaders(readers)
				return err
			}
			readers = append(readers, r)
		}
		if err := o.nc.Flush(); err == nil {
			o.started.done()
		}
		select {
		case <-changed:
			stopReaders(readers)
		case <-ctx.Done():
			stopReaders(readers)
			return nil
		}
	}
}

// plan splits subjects into those read from a stream that captures them
// (by stream, with the live instances' webhook events on the ingest
// stream) and those read with plain subscriptions, and says each stream's
// last sequence.
func (o *Observer) plan(ctx context.Context, subjects []string) (byStream map[string][]string, lastSeqs map[string]uint64, plain []string) {
	byStream, lastSeqs = map[string][]string{}, map[string]uint64{}
	captured := map[string][]string{}
	for _, name := range []string{o.opts.Stream, o.opts.ExternalStream} {
		if name == "" {
			continue
		}
		s, err := o.js.Stream(ctx, name)
		if err != nil {
			continue // no such stream, or no JetStream: subscribe instead
		}
		captured[name] = s.CachedInfo().Config.Subjects
		lastSeqs[name] = s.CachedInfo().State.LastSeq
	}
	if caps, ok := captured[o.opts.Stream]; ok && coveredBy(caps, WebhookSubjects) {
		byStream[o.opts.Stream] = []string{WebhookSubjects}
	}
	for _, subj := range subjects {
		stream := ""
		for _, name := range []string{o.opts.ExternalStream, o.opts.Stream} {
			if caps, ok := captured[name]; ok && name != "" && coveredBy(caps, subj) {
				stream = name
				break
			}
		}
		if stream == "" {
			plain = append(plain, subj)
			continue
		}
		byStream[stream] = append(byStream[stream], subj)
	}
	return byStream, lastSeqs, plain
}

// coveredBy reports whether one of patterns matches every subject subj does.
func coveredBy(patterns []string, subj string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return covers(p, subj) })
}

// streamReader reads one stream through an ephemeral ordered consumer.
type streamReader struct {
	it   jetstream.MessagesContext
	done chan struct{}
}

// read starts reading filter from stream after the sequence in last,
// recording each sequence it hands on.
func (o *Observer) read(ctx context.Context, stream string, filter []string, last *atomic.Uint64, deliver func(Msg)) (*streamReader, error) {
	filter, err := normalizeSubjects(filter)
	if err != nil {
		return nil, err
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: filter,
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: last.Load() + 1}
	c, err := o.js.OrderedConsumer(ctx, stream, cfg)
	if err != nil {
		return nil, fmt.Errorf("observe stream %s: %w", stream, err)
	}
	it, err := c.Messages(jetstream.PullHeartbeat(pullHeartbeat))
	if err != nil {
		return nil, fmt.Errorf("observe stream %s: %w", stream, err)
	}
	r := &streamReader{it: it, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			jm, err := it.Next()
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return
			}
			if err != nil {
				o.opts.Logger.Warn("dry run: observing stream interrupted", "stream", stream, "err", err)
				continue
			}
			meta, err := deliveryMeta(jm)
			if err != nil {
				continue
			}
			last.Store(meta.seq)
			deliver(observedMsg(jm, meta))
		}
	}()
	return r, nil
}

func stopReaders(rs []*streamReader) {
	for _, r := range rs {
		r.it.Stop()
		<-r.done
	}
}

// observedMsg is the delivery of a stream event a dry run observed: the
// event id a live instance gives it, and no redelivery.
func observedMsg(jm jetstream.Msg, meta ackMeta) Msg {
	m := streamMsg(jm, meta)
	m.NumDelivered, m.LastAttempt = 1, true
	return m
}

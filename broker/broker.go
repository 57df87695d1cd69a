// Package broker is korelay's use of NATS and JetStream: the embedded server,
// the connection, the durable ingest stream and its consumer, the
// idempotency ledger and cron state (KV buckets), the dead-letter stream,
// and the held stream where quiet hours and digests keep notifications
// until their release (HeldStore).
//
// Events flow through one ingest stream (default KORELAY) that captures the
// rules' NATS subjects plus korelay's own webhook and cron subjects. A durable
// pull consumer shared by every korelay replica hands each event to a
// Handler, which settles it with Ack, Nak or Term. With ExternalStream set,
// the operator's NATS subjects are consumed from their existing stream
// instead. Transport puts this (Broker) behind one interface with the two
// modes that store nothing: Core (plain core NATS, at-most-once) and
// Observer (a dry run's, which changes nothing shared).
//
// The package returns errors. It logs only connection events (on the logger
// given to Connect) and, from Consume and the held store's Release, what no
// caller could be told (Options.Logger, HeldOptions.Logger).
package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/korelay/korelay/triggers"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultStream          = "KORELAY"
	DefaultConsumer        = "korelay"
	DefaultDLQStream       = "KORELAY_DLQ"
	DefaultLedgerBucket    = "KORELAY_LEDGER"
	DefaultCronBucket      = "KORELAY_CRON"
	DefaultDuplicateWindow = 10 * time.Minute
	DefaultMaxAge          = 7 * 24 * time.Hour
	DefaultAckWait         = 30 * time.Second
	DefaultMaxDeliver      = 10
	DefaultMaxAckPending   = 512
	DefaultDrainTimeout    = 15 * time.Second
)

// MinDuplicateWindow is the shortest accepted stream duplicate window: twice
// the 5-minute standard-webhooks timestamp tolerance, so a replayed
// webhook-id is always recognised.
const MinDuplicateWindow = 10 * time.Minute

// Subjects korelay captures in its ingest stream and dead-letter stream.
const (
	// WebhookSubjects matches korelay.webhook.NAME (triggers.WebhookSubject).
	WebhookSubjects = triggers.WebhookSubjectPrefix + ">"
	// CronSubjects matches korelay.cron.RULE (triggers.CronSubject).
	CronSubjects = triggers.CronSubjectPrefix + ">"
	// ReplaySubjectPrefix prefixes the subject of a replayed event, so that it
	// lands in the ingest stream whatever stream held it first; consumers see
	// the original subject.
	ReplaySubjectPrefix = "korelay.replay."
	// DLQSubjectPrefix prefixes dead letters: korelay.dlq.RULE.
	DLQSubjectPrefix = "korelay.dlq."
)

// Options configures a Broker. Zero fields take the defaults above.
type Options struct {
	// Stream is the ingest stream korelay creates or updates.
	Stream string
	// Subjects are the rules' NATS subject patterns.
	Subjects []string
	// ExternalStream, when set, names an existing stream (nats.stream_from)
	// that already captures the operator's subjects: korelay consumes
	// Subjects from it (a durable consumer filtered on them, starting with
	// new messages) instead of capturing them in Stream.
	ExternalStream string
	// DuplicateWindow is the ingest stream's Nats-Msg-Id window; at least
	// MinDuplicateWindow.
	DuplicateWindow time.Duration
	// MaxAge is how long the ingest stream keeps events.
	MaxAge time.Duration
	// Consumer is the durable consumer name shared by all replicas.
	Consumer string
	// AckWait is how long a delivery may stay unacknowledged before the
	// server redelivers it; Consume keeps slow handlers alive.
	AckWait time.Duration
	// MaxDeliver bounds deliveries of one event.
	MaxDeliver int
	// BackOff are the ack waits of successive deliveries after a handler
	// crash or timeout (the server lets them replace AckWait). Nil means
	// AckWait, then at least 1m, then at least 5m.
	BackOff []time.Duration
	// MaxAckPending bounds events in flight (delivered, not yet acked) per
	// consumer; Consume keeps at most this many events unsettled at once.
	MaxAckPending int
	// DrainTimeout bounds how long Consume waits for in-flight handlers
	// after its context ends; then their context is cancelled.
	DrainTimeout time.Duration
	// DLQStream is the dead-letter stream.
	DLQStream string
	// LedgerBucket is the idempotency ledger's KV bucket.
	LedgerBucket string
	// CronBucket is the KV bucket of cron rules' last fire times.
	CronBucket string
	// HeldStream is the stream of held notifications (quiet hours,
	// digests); its consumer is DefaultHeldConsumer.
	HeldStream string
	// Replicas is the replication of the streams and buckets korelay
	// creates (a NATS cluster); existing ones are raised or lowered to it.
	// 0 means 1.
	Replicas int
	// OnExhausted, if set, is called after Consume dead-letters an event
	// whose handler asked for redelivery on its last allowed delivery (for
	// metrics: the handler never sees that dead letter).
	OnExhausted func(eventID string)
	// Logger receives what Consume cannot return (interrupted pulls, a
	// failure to dead-letter an event on its last delivery) and what the
	// held store's Release cannot return. Nil discards.
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
	setDefault(&o.Stream, DefaultStream)
	setDefault(&o.Consumer, DefaultConsumer)
	setDefault(&o.DLQStream, DefaultDLQStream)
	setDefault(&o.LedgerBucket, DefaultLedgerBucket)
	setDefault(&o.CronBucket, DefaultCronBucket)
	setDefault(&o.HeldStream, DefaultHeldStream)
	setDefault(&o.DuplicateWindow, DefaultDuplicateWindow)
	setDefault(&o.MaxAge, DefaultMaxAge)
	setDefault(&o.AckWait, DefaultAckWait)
	setDefault(&o.MaxDeliver, DefaultMaxDeliver)
	setDefault(&o.MaxAckPending, DefaultMaxAckPending)
	setDefault(&o.DrainTimeout, DefaultDrainTimeout)
	setDefault(&o.Replicas, 1)
	if o.BackOff == nil {
		o.BackOff = []time.Duration{o.AckWait, max(o.AckWait, time.Minute), max(o.AckWait, 5*time.Minute)}
	}
	if o.MaxDeliver > 0 && len(o.BackOff) > o.MaxDeliver {
		o.BackOff = o.BackOff[:o.MaxDeliver]
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Validate reports every problem of opts as New would, with the defaults
// applied, without connecting: for `korelay validate`.
func (o Options) Validate() error {
	o.setDefaults()
	if err := o.validate(); err != nil {
		return fmt.Errorf("broker options: %w", err)
	}
	return nil
}

func (o *Options) validate() error {
	var errs []error
	if o.DuplicateWindow < MinDuplicateWindow {
		errs = append(errs, fmt.Errorf("duplicate window %s is shorter than %s (twice the webhook timestamp tolerance)", o.DuplicateWindow, MinDuplicateWindow))
	}
	if o.MaxAge < o.DuplicateWindow {
		errs = append(errs, fmt.Errorf("max age %s is shorter than the duplicate window %s", o.MaxAge, o.DuplicateWindow))
	}
	if o.ExternalStream != "" && (o.ExternalStream == o.Stream || o.ExternalStream == o.DLQStream) {
		errs = append(errs, fmt.Errorf("external stream %q must differ from korelay's own streams", o.ExternalStream))
	}
	for _, d := range append([]time.Duration{o.AckWait, o.DrainTimeout}, o.BackOff...) {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("ack wait, backoff and drain timeout must be positive, got %s", d))
			break
		}
	}
	if o.MaxAckPending < 0 {
		errs = append(errs, fmt.Errorf("max ack pending %d is negative", o.MaxAckPending))
	}
	return errors.Join(errs...)
}

// Broker is korelay's JetStream: it publishes events to the ingest stream,
// consumes them, and holds the ledger, cron state and dead letters. It is
// safe for concurrent use.
type Broker struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	opts   Options
	ledger *Ledger
	cron   *CronState
	// out sends acknowledgements and ledger writes in bursts.
	out *outbox
	dlq jetstream.Stream
	// held is the held store, or nil with heldErr saying why not.
	held    *JetStreamHeld
	heldErr error

	started startSignal

	mu       sync.Mutex
	subjects []string      // the operator subjects currently configured
	changed  chan struct{} // closed and replaced when subjects change
}

// New creates or updates the ingest stream, the dead-letter stream, the
// durable consumer(s) and the KV buckets, and returns a Broker on nc. When
// the ingest stream cannot take Subjects because another stream already
// captures them, the error (errors.Is ErrSubjectsOverlap) names that stream
// and the option to use instead (nats.stream_from, Options.ExternalStream).
func New(ctx context.Context, nc *nats.Conn, opts Options) (*Broker, error) {
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("broker options: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	b := &Broker{nc: nc, js: js, opts: opts, changed: make(chan struct{}), started: newStartSignal()}
	if err := b.UpdateSubjects(ctx, opts.Subjects); err != nil {
		return nil, err
	}
	if err := b.ensureConsumer(ctx, opts.Stream, nil); err != nil {
		return nil, err
	}
	if b.dlq, err = b.ensureDLQ(ctx); err != nil {
		return nil, err
	}
	b.out = newOutbox(nc, outboxLinger)
	if b.ledger, err = newLedger(ctx, nc, js, b.out, opts.LedgerBucket, opts.Replicas); err != nil {
		return nil, err
	}
	if b.cron, err = newCronState(ctx, js, opts.CronBucket, opts.Replicas); err != nil {
		return nil, err
	}
	b.held, b.heldErr = NewHeldStore(ctx, nc, HeldOptions{
		Stream: opts.HeldStream, Replicas: opts.Replicas, AckWait: opts.AckWait,
		DrainTimeout: opts.DrainTimeout, Logger: opts.Logger,
	})
	return b, nil
}

// Held is the store of notifications held by quiet hours and digests. It
// fails (wrapping ErrSchedulesUnsupported on a NATS server before 2.12)
// when the held stream could not be set up; korelay runs without it as
// long as no rule holds anything.
func (b *Broker) Held() (HeldStore, error) {
	switch {
	case b.held != nil:
		return b.held, nil
	case b.heldErr != nil:
		return nil, b.heldErr
	}
	return nil, errors.New("broker: no held store (opened to read dead letters only)")
}

// Open returns a Broker on the streams a korelay service already created,
// creating and changing nothing: for tools that run beside a service
// (korelay dlq) and must leave its ingest stream, consumer and buckets as
// the service configured them. The Broker can publish, list, replay and
// store dead letters; it has no Ledger or CronState and must not Consume.
// When the dead-letter stream does not exist, the error wraps
// jetstream.ErrStreamNotFound.
func Open(ctx context.Context, nc *nats.Conn, opts Options) (*Broker, error) {
	opts.setDefaults()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	b := &Broker{nc: nc, js: js, opts: opts, changed: make(chan struct{}), started: newStartSignal()}
	if b.dlq, err = js.Stream(ctx, opts.DLQStream); err != nil {
		return nil, fmt.Errorf("dead-letter stream %s: %w", opts.DLQStream, err)
	}
	return b, nil
}

// Stream is the name of the ingest stream.
func (b *Broker) Stream() string { return b.opts.Stream }

// eventIDOf is the id of the event stored at seq in stream: the stream's
// name in lower case, "-", the sequence. It is built in one allocation:
// every delivery needs one.
func eventIDOf(stream string, seq uint64) string {
	var buf [64]byte
	b := buf[:0]
	for i := 0; i < len(stream); i++ {
		c := stream[i]
		if c >= utf8.RuneSelf {
			return strings.ToLower(stream) + "-" + strconv.FormatUint(seq, 10)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	b = append(b, '-')
	return string(strconv.AppendUint(b, seq, 10))
}

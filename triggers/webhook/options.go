package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/metrics"
)

// Defaults for Options.
const (
	DefaultMaxBody        = 1 << 20 // 1 MiB
	DefaultTolerance      = 5 * time.Minute
	DefaultPublishTimeout = 5 * time.Second
)

// replayCacheSize bounds the in-memory replay cache.
const replayCacheSize = 100_000

// Hook is one webhook endpoint, served at /hooks/<Name>.
type Hook struct {
	// Name is the NAME in /hooks/NAME and in the event subject; letters,
	// digits, '-' and '_'.
	Name string
	// Auth says how the sender is authenticated.
	Auth Auth
}

// Publisher stores an event durably (in JetStream) and returns its event id.
// When msg carries a "Nats-Msg-Id" header, a duplicate within the stream's
// duplicate window is not stored again and returns the first event's id.
type Publisher interface {
	// Publish stores msg and returns its event id. ctx bounds the call.
	Publish(ctx context.Context, msg *nats.Msg) (eventID string, err error)
}

// Options configures a Handler. Hooks and Publisher are required.
type Options struct {
	// Hooks are the endpoints to serve.
	Hooks []Hook
	// MaxBody is the largest accepted body in bytes; default DefaultMaxBody.
	MaxBody int64
	// Publisher stores accepted events.
	Publisher Publisher
	// Metrics counts events; nil counts nothing.
	Metrics *metrics.Metrics
	// Logger receives one line per request; nil discards.
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Tolerance is how far a standard-webhooks timestamp may be in the past
	// or the future; default DefaultTolerance. Message ids are remembered
	// for twice as long, and the stream's duplicate window should be at
	// least as long too.
	Tolerance time.Duration
	// PublishTimeout bounds each Publish call; default DefaultPublishTimeout.
	PublishTimeout time.Duration
}

// withDefaults validates the scalar options and fills in their defaults.
func (o Options) withDefaults() (Options, error) {
	var errs []error
	if o.Publisher == nil {
		errs = append(errs, errors.New("webhooks: no publisher"))
	}
	if o.MaxBody < 0 || o.Tolerance < 0 || o.PublishTimeout < 0 {
		errs = append(errs, fmt.Errorf("webhooks: max body, tolerance and publish timeout must not be negative"))
	}
	if o.Tolerance > 0 && o.Tolerance < time.Second {
		errs = append(errs, fmt.Errorf("webhooks: tolerance %v is under one second", o.Tolerance))
	}
	o.MaxBody = orDefault(o.MaxBody, DefaultMaxBody)
	o.Tolerance = orDefault(o.Tolerance, DefaultTolerance)
	o.PublishTimeout = orDefault(o.PublishTimeout, DefaultPublishTimeout)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, errors.Join(errs...)
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

package service

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/config"
	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/rules"
	"github.com/korelay/korelay/triggers/webhook"
)

// Check builds from cfg everything korelay run builds before it binds a
// port or connects: the rules with the groups, datasets and webhooks they
// use, the webhook endpoints, and the options of delivery and of the
// broker. It returns the rules, or every problem found (joined, one line
// each, "file:line:col: message"). `korelay validate`, eval, test, start
// and every reload go through it, so none of them accepts what another
// refuses.
func Check(cfg *config.Config, now func() time.Time) (*rules.Set, error) {
	set, err := LoadRules(cfg, now)
	errs := []error{err}
	for _, h := range webhookHooks(cfg) {
		if _, err := webhook.New(webhook.Options{Hooks: []webhook.Hook{h}, MaxBody: int64(cfg.HTTP.MaxBody), Publisher: refusing{}}); err != nil {
			errs = append(errs, positioned(cfg.Pos("webhooks."+h.Name), err))
		}
	}
	if _, err := delivery.New(refusing{}, broker.NewMemoryLedger(), deliveryOptions(cfg, nil)); err != nil {
		errs = append(errs, positioned(cfg.Pos("kore"), err))
	}
	if err := brokerOptions(cfg, nil).Validate(); err != nil {
		errs = append(errs, positioned(cfg.Pos("nats"), err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return set, nil
}

// positioned prefixes each line of err with pos, unless the line already
// names a position.
func positioned(pos config.Position, err error) error {
	var out []error
	for _, line := range strings.Split(err.Error(), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		if !strings.HasPrefix(line, pos.File+":") {
			line = pos.String() + ": " + line
		}
		out = append(out, errors.New(line))
	}
	return errors.Join(out...)
}

// refusing stands in for NATS and Kore while checking: nothing is sent.
type refusing struct{}

var errChecking = errors.New("checking only: nothing is sent")

func (refusing) Publish(context.Context, *nats.Msg) (string, error) { return "", errChecking }

func (refusing) Notify(context.Context, kore.NotifyRequest) (*kore.Job, error) {
	return nil, errChecking
}

// deliveryOptions are the delivery engine's options from cfg.
func deliveryOptions(cfg *config.Config, s *Service) delivery.Options {
	o := delivery.Options{
		PerMinute: cfg.Kore.Budget.PerMinute, PerHour: cfg.Kore.Budget.PerHour,
		BatchWindow: cfg.Kore.BatchWindow, MaxAttempts: cfg.Kore.MaxAttempts,
	}
	if s != nil {
		o.TrackJobs, o.Status, o.OnJobResult = cfg.Kore.TrackJobs, statusChecker(s.opts.Notifier), s.jobResult
		o.DryRun, o.Metrics, o.Logger = s.dryRun, s.metrics, s.log
	}
	return o
}

// brokerOptions are the transport's options from cfg and the rules.
func brokerOptions(cfg *config.Config, s *Service) broker.Options {
	o := broker.Options{
		Stream: cfg.NATS.Stream, ExternalStream: cfg.NATS.StreamFrom,
		AckWait: cfg.NATS.AckWait, MaxDeliver: cfg.NATS.MaxDeliver, MaxAckPending: cfg.NATS.MaxAckPending,
		Replicas: cfg.NATS.Replicas,
	}
	if s != nil {
		o.Subjects = s.Rules().NATSSubjects()
		o.DrainTimeout, o.OnExhausted, o.Logger = s.opts.ShutdownTimeout, s.eventExhausted, s.log
	}
	return o
}

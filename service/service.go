// Package service runs korelay: it joins NATS (embedded or external), the
// triggers, the rules and the delivery engine into one process, serves the
// HTTP endpoints, reloads its configuration and rules, and drains
// gracefully on shutdown.
package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/config"
	"github.com/korelay/korelay/metrics"
	"github.com/korelay/korelay/rules"
)

// Notifier is the Kore side of delivery: the Kore client, the dry-run
// printer, or a test double.
type Notifier = delivery.Notifier

// Options configures a Service.
type Options struct {
	// Config is the loaded configuration.
	Config *config.Config
	// Notifier sends to Kore (the Kore client or the dry-run printer).
	Notifier Notifier
	// Logger receives korelay's log; nil discards.
	Logger *slog.Logger
	// Registry collects the metrics served at /metrics; nil makes one.
	Registry *prometheus.Registry
	// Metrics are the collectors registered on Registry; nil creates them.
	Metrics *metrics.Metrics
	// Reload receives a value whenever the configuration and the rules
	// should be reloaded (SIGHUP).
	Reload <-chan struct{}
	// WatchInterval is how often the configuration, rule and dataset files
	// are checked for changes; 0 means 2s, negative disables watching.
	WatchInterval time.Duration
	// ShutdownTimeout bounds the graceful drain; 0 means 15s.
	ShutdownTimeout time.Duration
	// Now is the clock for rule expressions; nil means time.Now.
	Now func() time.Time
	// Ready, if set, is closed once every part is up (tests use it).
	Ready chan<- struct{}
	// Stderr receives the start-up banner; nil discards.
	Stderr io.Writer
	// LoadConfig reads the configuration again for a reload; nil means
	// config.Load(Config.File).
	LoadConfig func() (*config.Config, error)
	// DryRun runs without changing anything shared (as does the config's
	// dry_run): events are observed, never taken from a live instance;
	// nothing is written to the ledger, the dead-letter stream or the cron
	// state; the Notifier (the dry-run printer) is counted as "dry_run".
	DryRun bool
}

// Service is a running korelay.
type Service struct {
	opts Options
	// cfg is the configuration the service started with: the settings
	// that need a restart are read from it. config is the one in force
	// (reloaded).
	cfg     *config.Config
	config  atomic.Pointer[config.Config]
	log     *slog.Logger
	reg     *prometheus.Registry
	metrics *metrics.Metrics
	rules   atomic.Pointer[rules.Set]
	ready   atomic.Bool
	dryRun  bool

	httpAddr atomic.Value // string
	natsURL  atomic.Value // string
	// connected reports the NATS connection's state (func() bool).
	connected atomic.Value
	// running is the runtime while Run is under way, so Reload can hand
	// new rules to the triggers.
	running atomic.Pointer[runtime]
}

// New checks the options and loads the rules; nothing is started yet.
func New(opts Options) (*Service, error) {
	if opts.Config == nil {
		return nil, errors.New("service: no configuration")
	}
	if opts.Notifier == nil {
		return nil, errors.New("service: no notifier (Kore client or dry run)")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ShutdownTimeout == 0 {
		opts.ShutdownTimeout = 15 * time.Second
	}
	if opts.WatchInterval == 0 {
		opts.WatchInterval = 2 * time.Second
	}
	if opts.LoadConfig == nil {
		file := opts.Config.File
		opts.LoadConfig = func() (*config.Config, error) { return config.Load(file) }
	}
	s := &Service{opts: opts, cfg: opts.Config, log: opts.Logger, reg: opts.Registry,
		dryRun: opts.DryRun || opts.Config.DryRun}
	s.metrics = opts.Metrics
	if s.metrics == nil {
		s.metrics = metrics.New(opts.Registry)
	}
	set, err := Check(s.cfg, s.opts.Now)
	if err != nil {
		return nil, err
	}
	s.config.Store(s.cfg)
	s.rules.Store(set)
	s.metrics.ConfigLastReloadSuccessful.Set(1)
	return s, nil
}

// Config returns the configuration in force: the one the service started
// with, or the last good reload.
func (s *Service) Config() *config.Config { return s.config.Load() }

// LoadRules loads every rule file the configuration names, with the
// webhooks, groups and datasets it defines; now is the clock expressions
// see (nil: time.Now). The commands that read rules use it too, so they
// see exactly what korelay run sees.
func LoadRules(cfg *config.Config, now func() time.Time) (*rules.Set, error) {
	hooks := make(map[string]bool, len(cfg.Webhooks))
	for name := range cfg.Webhooks {
		hooks[name] = true
	}
	datasetPos := make(map[string]string, len(cfg.Datasets))
	for name := range cfg.Datasets {
		datasetPos[name] = cfg.Pos("datasets." + name).String()
	}
	env := rules.Env{Webhooks: hooks, Groups: cfg.Groups, Datasets: cfg.Datasets, DatasetPos: datasetPos, Now: now}
	return rules.LoadGlobs(cfg.Dir, cfg.Rules, env)
}

// HTTPAddr is the address the HTTP server listens on, once running.
func (s *Service) HTTPAddr() string { v, _ := s.httpAddr.Load().(string); return v }

// NATSURL is the NATS server korelay is connected to, once running.
func (s *Service) NATSURL() string { v, _ := s.natsURL.Load().(string); return v }

// Rules returns the rule set in use.
func (s *Service) Rules() *rules.Set { return s.rules.Load() }

// Run starts everything and blocks until ctx is cancelled, then drains:
// webhooks stop being accepted, in-flight events finish or go back to the
// stream within the shutdown timeout, and Run returns once the calls
// already at Kore have been answered and recorded, even past it.
func (s *Service) Run(ctx context.Context) error {
	rt, err := s.start(ctx)
	if err != nil {
		return err
	}
	defer rt.close()
	rt.launch(ctx)
	s.running.Store(rt)
	defer s.running.Store(nil)
	s.metrics.Budget.Read(rt.budgetReading)
	defer s.metrics.Budget.Read(nil)
	s.ready.Store(true)
	if s.opts.Ready != nil {
		close(s.opts.Ready)
	}
	s.log.Info("korelay running", "http", s.HTTPAddr(), "nats", s.NATSURL(),
		"rules", len(s.Rules().Rules()), "mode", s.mode().String(), "dry_run", s.dryRun)
	err = rt.wait(ctx)
	s.ready.Store(false)
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("korelay: %w", err)
	}
	s.log.Info("korelay stopped")
	return nil
}

// natsConnected reports whether the NATS connection is up; set by start.
func (s *Service) natsConnected() bool {
	f, _ := s.connected.Load().(func() bool)
	return f != nil && f()
}

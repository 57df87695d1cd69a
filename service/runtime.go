package service

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/metrics"
	"github.com/korelay/korelay/triggers/cron"
	"github.com/korelay/korelay/triggers/webhook"
)

// runtime is everything a running service holds, in start order.
type runtime struct {
	s         *Service
	server    *server.Server // embedded NATS, or nil
	nc        *nats.Conn
	transport broker.Transport
	held      broker.HeldStore // nil when heldErr says why not
	heldErr   error
	budget    *broker.SharedBudget // nil unless shared (JetStream, live)
	usage     budgetUsage          // the budget in use, for the status page
	journal   *eventJournal        // nil: journal.enabled is false
	dead      *deadLetters
	engine    *delivery.Engine
	cron      *cron.Trigger
	hooks     *webhook.Handler
	http      *http.Server
	listener  net.Listener

	wg       sync.WaitGroup
	errc     chan error
	stopWork context.CancelFunc // stops triggers and the consumer
	stopSend context.CancelFunc // stops the delivery engine, last
	consumed chan struct{}      // closed when the consumer has drained
	released chan struct{}      // closed when held releases have drained
	handling atomic.Int64       // events in the handler now
}

// start connects and builds every part; nothing runs until launch.
func (s *Service) start(ctx context.Context) (*runtime, error) {
	rt := &runtime{s: s, errc: make(chan error, 8), consumed: make(chan struct{}), released: make(chan struct{})}
	if err := rt.connect(ctx); err != nil {
		rt.close()
		return nil, err
	}
	if err := rt.build(ctx); err != nil {
		rt.close()
		return nil, err
	}
	ln, err := net.Listen("tcp", s.cfg.HTTP.Listen)
	if err != nil {
		rt.close()
		return nil, fmt.Errorf("http.listen %s: %w", s.cfg.HTTP.Listen, err)
	}
	rt.listener = ln
	s.httpAddr.Store(ln.Addr().String())
	handler, err := s.routes(rt)
	if err != nil {
		rt.close()
		return nil, err
	}
	rt.http = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	return rt, nil
}

// connect starts the embedded NATS server when no URL is configured, and
// connects to NATS.
func (rt *runtime) connect(ctx context.Context) error {
	cfg := rt.s.cfg
	url := cfg.NATS.URL
	if url == "" {
		host, port, err := splitHostPort(cfg.NATS.Listen)
		if err != nil {
			return fmt.Errorf("nats.listen: %w", err)
		}
		srv, err := broker.StartEmbedded(broker.EmbeddedOptions{
			Host: host, Port: port, StoreDir: cfg.NATS.DataDir, ServerName: "korelay",
		})
		if err != nil {
			return fmt.Errorf("embedded NATS (nats.listen %s, nats.data_dir %s): %w", cfg.NATS.Listen, cfg.NATS.DataDir, err)
		}
		rt.server = srv
		url = srv.ClientURL()
	}
	nc, err := broker.Connect(ctx, broker.ConnectOptions{
		URL: url, CredsFile: cfg.NATS.CredsFile, Token: cfg.NATS.Token.Value(),
		User: cfg.NATS.User, Password: cfg.NATS.Password.Value(),
		TLSCA: cfg.NATS.TLS.CA, TLSCert: cfg.NATS.TLS.Cert, TLSKey: cfg.NATS.TLS.Key,
		Name: "korelay", Logger: rt.s.log,
	})
	if err != nil {
		return err
	}
	rt.nc = nc
	rt.s.natsURL.Store(nc.ConnectedUrlRedacted())
	rt.s.connected.Store(nc.IsConnected)
	return nil
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: %w", p, err)
	}
	return host, port, nil
}

// mode is the transport this service runs on: a dry run observes, else
// JetStream or core NATS as configured.
func (s *Service) mode() broker.Mode {
	switch {
	case s.dryRun:
		return broker.ModeObserve
	case s.cfg.NATS.UseJetStream():
		return broker.ModeJetStream
	default:
		return broker.ModeCore
	}
}

// build sets up the transport (streams and buckets with JetStream) and the
// triggers and delivery on it.
func (rt *runtime) build(ctx context.Context) error {
	s, cfg := rt.s, rt.s.cfg
	tr, err := broker.NewTransport(ctx, rt.nc, s.mode(), brokerOptions(cfg, s))
	if err != nil {
		return err
	}
	rt.transport = tr
	if err := rt.setupHeld(); err != nil {
		return err
	}
	rt.dead = &deadLetters{store: tr, metrics: s.metrics, log: s.log}
	if rt.journal, err = newEventJournal(ctx, s, rt.nc, s.mode()); err != nil {
		return err
	}
	opts := deliveryOptions(cfg, s)
	if rt.journal != nil {
		opts.OnCall = rt.journal.call
	}
	local := delivery.NewLocalBudget(opts.PerMinute, opts.PerHour, delivery.DefaultBurst, time.Now())
	opts.Budget, rt.usage = local, local
	if b, ok := tr.(*broker.Broker); ok {
		// Live replicas on one NATS spend one Kore budget together.
		rt.budget, err = b.NewBudget(ctx, broker.BudgetOptions{
			PerMinute: opts.PerMinute, PerHour: opts.PerHour, Burst: delivery.DefaultBurst,
			OnError: func(err error) {
				s.log.Warn("shared Kore budget unavailable; no call starts until it answers", "err", err)
			},
		})
		if err != nil {
			return err
		}
		opts.Budget, rt.usage = rt.budget, rt.budget
	}
	engine, err := delivery.New(s.opts.Notifier, tr.Keys(), opts)
	if err != nil {
		return fmt.Errorf("delivery: %w", err)
	}
	rt.engine = engine
	rt.cron = cron.New(tr, tr.Fires(), cron.Options{Logger: s.log, OnFire: s.cronFired})
	hooks, err := webhook.New(webhook.Options{
		Hooks: webhookHooks(cfg), MaxBody: int64(cfg.HTTP.MaxBody), Publisher: tr,
		Metrics: s.metrics, Logger: s.log,
	})
	if err != nil {
		return err
	}
	rt.hooks = hooks
	return nil
}

// launch starts the goroutines: delivery, consumer, cron, HTTP, reloads.
func (rt *runtime) launch(ctx context.Context) {
	sendCtx, stopSend := context.WithCancel(context.WithoutCancel(ctx))
	workCtx, stopWork := context.WithCancel(ctx)
	rt.stopSend, rt.stopWork = stopSend, stopWork
	rt.goRun(func() error { return rt.engine.Run(sendCtx) })
	go func() {
		defer close(rt.consumed)
		if err := rt.transport.Consume(workCtx, rt.s.handle(rt)); err != nil && !errors.Is(err, context.Canceled) {
			rt.errc <- fmt.Errorf("consume: %w", err)
		}
	}()
	rt.waitStarted(ctx)
	rt.launchHeld(workCtx)
	rt.goRun(func() error { return rt.cron.Run(workCtx, cronJobs(rt.s.Rules())) })
	rt.goRun(func() error {
		if err := rt.http.Serve(rt.listener); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http: %w", err)
		}
		return nil
	})
	rt.goRun(func() error { rt.s.watchFiles(workCtx, rt); return nil })
}

// consumerStartTimeout bounds the wait for the consumer to start reading.
const consumerStartTimeout = 10 * time.Second

// waitStarted waits until the consumer reads events, so that the service
// is ready only once an event published from then on is seen (it matters
// where nothing is stored: core NATS, a dry run's subscriptions).
func (rt *runtime) waitStarted(ctx context.Context) {
	select {
	case <-rt.transport.Started():
	case <-rt.consumed:
	case <-ctx.Done():
	case <-time.After(consumerStartTimeout):
		rt.s.log.Warn("the consumer has not started reading yet", "waited", consumerStartTimeout)
	}
}

func (rt *runtime) goRun(fn func() error) {
	rt.wg.Add(1)
	go func() {
		defer rt.wg.Done()
		if err := fn(); err != nil && !errors.Is(err, context.Canceled) {
			rt.errc <- err
		}
	}()
}

// wait blocks until ctx ends or a part fails, then shuts down.
func (rt *runtime) wait(ctx context.Context) error {
	var err error
	select {
	case <-ctx.Done():
		rt.s.log.Info("stopping", "cause", context.Cause(ctx).Error())
	case err = <-rt.errc:
		rt.s.log.Error("stopping after a failure", "err", err)
	}
	rt.shutdown()
	return err
}

// shutdown stops in order, each step waiting for the one before: stop
// accepting webhooks; stop triggers and the consumer, whose events finish
// (or, after the shutdown timeout, return to the stream) and are settled;
// stop delivery, whose calls already at Kore finish and are recorded in the
// ledger. Only then may NATS close: nothing still running needs it.
func (rt *runtime) shutdown() {
	s := rt.s
	s.log.Info("draining", "events_in_flight", rt.handling.Load(), "notifications_pending", rt.engine.Pending(),
		"timeout", s.opts.ShutdownTimeout)
	rt.hooks.Close()
	rt.stopWork()
	<-rt.consumed
	<-rt.released
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	_ = rt.http.Shutdown(ctx)
	rt.stopSend()
	rt.wg.Wait()
	if err := rt.journal.close(); err != nil {
		s.log.Warn("the journal's last records may be lost", "err", err)
	}
	if rt.budget != nil {
		rt.budget.Close()
	}
	s.log.Info("drained")
}

// close releases NATS and the embedded server.
func (rt *runtime) close() {
	if rt.listener != nil && rt.http == nil {
		rt.listener.Close()
	}
	_ = rt.journal.close() // already closed after a drain; here when start failed
	if rt.nc != nil {
		_ = rt.nc.FlushTimeout(2 * time.Second)
		rt.nc.Close()
	}
	if rt.server != nil {
		rt.server.Shutdown()
		rt.server.WaitForShutdown()
	}
}

// budgetReading is the budget in use now, for korelay_budget_used and
// korelay_budget_limit.
func (rt *runtime) budgetReading() metrics.BudgetReading {
	u := rt.usage.Usage()
	return metrics.BudgetReading{Minute: u.Minute, Hour: u.Hour, PerMinute: u.PerMinute, PerHour: u.PerHour}
}

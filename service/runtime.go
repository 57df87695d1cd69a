package service

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/triggers/cron"
	"github.com/korelay/korelay/triggers/webhook"
)

// runtime is everything a running service holds, in start order.
type runtime struct {
	s        *Service
	server   *server.Server // embedded NATS, or nil
	nc       *nats.Conn
	broker   *broker.Broker // nil in core-NATS mode
	ingest   publisher
	dlq      deadLetterer
	engine   *delivery.Engine
	cron     *cron.Trigger
	hooks    *webhook.Handler
	http     *http.Server
	listener net.Listener

	wg       sync.WaitGroup
	errc     chan error
	stopWork context.CancelFunc // stops triggers and the consumer
	stopSend context.CancelFunc // stops the delivery engine, last
	consumed chan struct{}      // closed when the consumer has drained
}

// publisher stores an event on the ingest stream (or core NATS).
type publisher interface {
	Publish(ctx context.Context, msg *nats.Msg) (eventID string, err error)
}

// start connects and builds every part; nothing runs until launch.
func (s *Service) start(ctx context.Context) (*runtime, error) {
	rt := &runtime{s: s, errc: make(chan error, 8), consumed: make(chan struct{})}
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
	rt.http = &http.Server{Handler: s.routes(rt.hooks), ReadHeaderTimeout: 10 * time.Second}
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

// build sets up the streams (JetStream) and the triggers and delivery.
func (rt *runtime) build(ctx context.Context) error {
	s, cfg := rt.s, rt.s.cfg
	var ledger delivery.Ledger
	var state cron.StateStore
	if cfg.NATS.UseJetStream() {
		b, err := broker.New(ctx, rt.nc, broker.Options{
			Stream: cfg.NATS.Stream, Subjects: s.Rules().NATSSubjects(), ExternalStream: cfg.NATS.StreamFrom,
			AckWait: cfg.NATS.AckWait, MaxDeliver: cfg.NATS.MaxDeliver, MaxAckPending: cfg.NATS.MaxAckPending,
			DrainTimeout: s.opts.ShutdownTimeout, OnExhausted: s.eventExhausted, Logger: s.log,
		})
		if err != nil {
			return err
		}
		rt.broker, rt.ingest, rt.dlq = b, b, b
		rt.warnIfReplicas(ctx)
		ledger, state = b.Ledger(), b.CronState()
	} else {
		rt.ingest = corePublisher{nc: rt.nc}
		rt.dlq = loggedDeadLetters{log: s.log}
		ledger, state = delivery.NewMemoryLedger(), newMemoryCronState()
	}
	engine, err := delivery.New(s.opts.Notifier, ledger, delivery.Options{
		PerMinute: cfg.Kore.Budget.PerMinute, PerHour: cfg.Kore.Budget.PerHour,
		BatchWindow: cfg.Kore.BatchWindow, MaxAttempts: cfg.Kore.MaxAttempts,
		TrackJobs: cfg.Kore.TrackJobs, Status: statusChecker(s.opts.Notifier), OnJobResult: s.jobResult,
		Metrics: s.metrics, Logger: s.log,
	})
	if err != nil {
		return fmt.Errorf("delivery: %w", err)
	}
	rt.engine = engine
	rt.cron = cron.New(rt.ingest, state, cron.Options{Logger: s.log, OnFire: s.cronFired})
	hooks, err := webhook.New(webhook.Options{
		Hooks: webhookHooks(cfg), MaxBody: int64(cfg.HTTP.MaxBody), Publisher: rt.ingest,
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
		if err := rt.consume(workCtx); err != nil && !errors.Is(err, context.Canceled) {
			rt.errc <- fmt.Errorf("consume: %w", err)
		}
	}()
	rt.goRun(func() error { return rt.cron.Run(workCtx, cronJobs(rt.s.Rules())) })
	rt.goRun(func() error {
		if err := rt.http.Serve(rt.listener); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http: %w", err)
		}
		return nil
	})
	rt.goRun(func() error { rt.s.watchRules(workCtx, rt); return nil })
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

// consume runs the consumer: JetStream's durable consumer, or core NATS
// subscriptions.
func (rt *runtime) consume(ctx context.Context) error {
	if rt.broker != nil {
		return rt.broker.Consume(ctx, rt.s.handle(rt))
	}
	subjects := append(rt.s.Rules().NATSSubjects(), "korelay.webhook.>", "korelay.cron.>")
	return broker.ConsumeCore(ctx, rt.nc, subjects, "korelay", rt.s.handle(rt))
}

// wait blocks until ctx ends or a part fails, then shuts down in order:
// stop accepting webhooks, stop triggers and the consumer (in-flight
// events finish or return to the stream), stop delivery, close NATS.
func (rt *runtime) wait(ctx context.Context) error {
	var err error
	select {
	case <-ctx.Done():
	case err = <-rt.errc:
	}
	rt.shutdown()
	return err
}

func (rt *runtime) shutdown() {
	timeout := rt.s.opts.ShutdownTimeout
	deadline, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	rt.hooks.Close()
	rt.stopWork()
	select {
	case <-rt.consumed:
	case <-deadline.Done():
		rt.s.log.Warn("shutdown: consumer did not drain in time; unacknowledged events will be redelivered", "timeout", timeout)
	}
	_ = rt.http.Shutdown(deadline)
	rt.stopSend()
	done := make(chan struct{})
	go func() { rt.wg.Wait(); close(done) }()
	// Calls already at Kore finish and are recorded in the ledger before NATS
	// closes, even past the deadline (else a restart sends them again); the
	// Kore timeout bounds them.
	select {
	case <-done:
	case <-time.After(rt.s.cfg.Kore.Timeout + time.Second):
	}
}

// close releases NATS and the embedded server.
func (rt *runtime) close() {
	if rt.listener != nil && rt.http == nil {
		rt.listener.Close()
	}
	if rt.nc != nil {
		_ = rt.nc.FlushTimeout(2 * time.Second)
		rt.nc.Close()
	}
	if rt.server != nil {
		rt.server.Shutdown()
		rt.server.WaitForShutdown()
	}
}

// warnIfReplicas warns when another korelay already consumes the same
// stream: each replica keeps its own Kore budget, so together they may
// exceed Kore's limit unless each is given a share.
func (rt *runtime) warnIfReplicas(ctx context.Context) {
	n, err := rt.broker.WaitingPulls(ctx)
	if err != nil || n == 0 {
		return
	}
	b := rt.s.cfg.Kore.Budget
	rt.s.log.Warn("another korelay replica is consuming this stream; each replica spends its own kore.budget, "+
		"so set per_minute and per_hour to Kore's limits divided by the number of replicas",
		"stream", rt.broker.Stream(), "per_minute", b.PerMinute, "per_hour", b.PerHour)
}

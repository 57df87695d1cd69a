package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/korelay/korelay/kore/koretest"
)

// huge disables the fake Kore's rate limits in practice.
const huge = 1 << 40

// runOnce runs one mode against a fresh NATS store, fake Kore and korelay
// in dir, and returns what it measured.
func runOnce(ctx context.Context, o options, mode, bin, dir string) (*Result, error) {
	env, err := startEnv(ctx, o, bin, dir)
	if err != nil {
		return nil, err
	}
	defer env.close()
	res := &Result{Mode: mode, Events: o.N, Matching: (o.N + 1) / 2}
	if mode == "paced" {
		res.Rate = o.Rate
	}
	if err := env.measure(ctx, o, mode, res); err != nil {
		return nil, err
	}
	res.check()
	if !res.OK {
		res.LogTail = env.proc.tail()
	}
	return res, nil
}

// env is one run's surroundings: NATS, the fake Kore, korelay and the
// publisher.
type env struct {
	bin, dir, cfg, httpAddr string
	koreURL                 string
	c                       *clock
	ns                      interface{ Shutdown() }
	fake                    *koretest.Server
	rec                     *recorder
	koreSrv                 *http.Server
	proc                    *korelayProc
	nc                      *nats.Conn
	pub                     *publisher
}

// startEnv starts NATS, the fake Kore and korelay, and waits until korelay
// is ready and its stream exists.
func startEnv(ctx context.Context, o options, bin, dir string) (*env, error) {
	if err := os.MkdirAll(filepath.Join(dir, "nats"), 0o700); err != nil {
		return nil, err
	}
	ns, err := startNATS(filepath.Join(dir, "nats"))
	if err != nil {
		return nil, err
	}
	e := &env{bin: bin, dir: dir, c: newClock(o.N), ns: ns}
	e.fake = koretest.NewServer(koretest.WithLimits(huge, huge))
	e.rec = newRecorder(e.fake, o.N, e.c)
	if err := e.startKore(); err != nil {
		e.close()
		return nil, err
	}
	if err := e.startKorelay(ctx, o, ns.ClientURL()); err != nil {
		e.close()
		return nil, err
	}
	if e.nc, err = nats.Connect(ns.ClientURL(), nats.Name("korelay-bench")); err != nil {
		e.close()
		return nil, err
	}
	if e.pub, err = newPublisher(e.nc, e.c, o.N, o.Pending); err != nil {
		e.close()
		return nil, err
	}
	if err := waitStream(ctx, e.pub.js, 30*time.Second); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

// startKore serves the recorder (in front of the fake Kore) on loopback.
func (e *env) startKore() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	e.koreURL = "http://" + ln.Addr().String()
	e.koreSrv = &http.Server{Handler: e.rec, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.koreSrv.Serve(ln) }()
	return nil
}

// startKorelay writes korelay's configuration and starts it.
func (e *env) startKorelay(ctx context.Context, o options, natsURL string) error {
	var err error
	if e.httpAddr, err = freeAddr(); err != nil {
		return err
	}
	e.cfg, err = writeConfig(e.dir, korelayConfig{
		NATSURL: natsURL, KoreURL: e.koreURL, HTTPAddr: e.httpAddr,
		BotID: e.fake.BotID, ClientID: e.fake.ClientID, ClientSecret: e.fake.ClientSecret, LogLevel: o.LogLevel,
		PerMinute: o.BudgetMinute, PerHour: o.BudgetHour,
	})
	if err != nil {
		return err
	}
	if e.proc, err = startKorelay(e.bin, e.cfg, e.dir, "korelay.log"); err != nil {
		return err
	}
	return e.proc.waitReady(ctx, e.httpAddr, 30*time.Second)
}

// close stops everything startEnv started.
func (e *env) close() {
	if e.nc != nil {
		e.nc.Close()
	}
	if e.proc != nil {
		e.proc.kill()
	}
	if e.koreSrv != nil {
		e.koreSrv.Close()
	}
	if e.fake != nil {
		e.fake.Close()
	}
	e.ns.Shutdown()
}

// measure publishes, waits for every notification and fills res.
func (e *env) measure(ctx context.Context, o options, mode string, res *Result) error {
	pid := e.proc.cmd.Process.Pid
	cpu0, err := cpuTime(pid)
	if err != nil {
		return err
	}
	self0, _ := cpuTime(os.Getpid())
	rss0, _ := memKiB(pid, "VmRSS")
	pubStart := e.c.now()
	if mode == "paced" {
		err = e.pub.runPaced(ctx, o.Rate, o.Tick)
	} else {
		err = e.pub.runMax(ctx)
	}
	pubEnd := e.c.now()
	if err != nil {
		res.problem("publishing: %v", err)
	}
	res.PublishSeconds = (pubEnd - pubStart).Seconds()
	res.PublishRate = float64(o.N) / res.PublishSeconds
	if o.KillAfter > 0 && err == nil {
		next, killedCPU, kerr := killAndRestart(ctx, o, e.rec, e.proc, e.bin, e.cfg, e.dir, e.httpAddr)
		if kerr != nil {
			return kerr
		}
		e.proc = next
		pid, cpu0 = next.cmd.Process.Pid, cpu0-killedCPU
		res.Killed, res.AllowedDuplicates = true, maxCallsInFlight
	}
	werr := waitDone(ctx, o, e.rec, e.pub.js)
	cpu1, cerr := cpuTime(pid)
	self1, _ := cpuTime(os.Getpid())
	if werr != nil {
		res.problem("%v", werr)
	}
	if werr == nil && ctx.Err() == nil {
		time.Sleep(o.Settle) // late duplicates or stray calls show up here
	}
	hwm, herr := memKiB(pid, "VmHWM")
	if err := errors.Join(cerr, herr); err != nil {
		res.problem("reading /proc: %v", err)
	}
	exit, took, ok := e.proc.stop(o.Drain)
	res.Exit, res.ExitSeconds = exit, took.Seconds()
	if !ok {
		res.problem("korelay stop: %s", exit)
	}
	res.fill(e.rec, pubStart, cpu1-cpu0, rss0, hwm)
	if res.Notified > 0 {
		res.HarnessCPUPerNotificationUs = float64((self1 - self0).Microseconds()) / float64(res.Notified)
	}
	return nil
}

// waitDone waits until every matching event was notified and korelay
// acknowledged every event, giving up after o.Stall without progress.
func waitDone(ctx context.Context, o options, rec *recorder, js jetstream.JetStream) error {
	want := int64((o.N + 1) / 2)
	lastProgress := time.Now()
	var lastDelivered int64 = -1
	var lastOpen uint64
	var lastPoll time.Time
	for {
		delivered := rec.delivered.Load()
		var msgs, open uint64
		var err error
		// Ask NATS only when the notifications are all in, or once a second
		// for progress, so polling costs the shared CPUs next to nothing.
		if delivered >= want || time.Since(lastPoll) > time.Second {
			lastPoll = time.Now()
			msgs, open, err = backlog(ctx, js)
			if err == nil && delivered >= want && open == 0 && msgs >= uint64(o.N) {
				return nil
			}
		} else {
			open = lastOpen
		}
		if delivered != lastDelivered || open != lastOpen {
			lastDelivered, lastOpen, lastProgress = delivered, open, time.Now()
		}
		if time.Since(lastProgress) > o.Stall {
			return fmt.Errorf("no progress for %v: %d of %d notified, %d events not acknowledged (last error: %v)",
				o.Stall, delivered, want, open, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for notifications: %w (%d of %d notified)", ctx.Err(), delivered, want)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// maxCallsInFlight is the delivery engine's default concurrency: at most
// this many Kore calls can have been accepted but not yet recorded when
// korelay is killed.
const maxCallsInFlight = 32

// killAndRestart waits until o.KillAfter notifications arrived, SIGKILLs
// korelay (no drain, no shutdown) and starts a fresh one on the same
// configuration. It returns the new process and the CPU the killed one used.
func killAndRestart(ctx context.Context, o options, rec *recorder, proc *korelayProc, bin, cfg, dir, httpAddr string) (*korelayProc, time.Duration, error) {
	for rec.delivered.Load() < o.KillAfter {
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	used, _ := cpuTime(proc.cmd.Process.Pid)
	proc.kill()
	next, err := startKorelay(bin, cfg, dir, "korelay-restarted.log")
	if err != nil {
		return nil, 0, fmt.Errorf("restart korelay: %w", err)
	}
	if err := next.waitReady(ctx, httpAddr, 30*time.Second); err != nil {
		next.kill()
		return nil, 0, fmt.Errorf("restarted korelay: %w", err)
	}
	return next, used, nil
}

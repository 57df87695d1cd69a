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
	if err := os.MkdirAll(filepath.Join(dir, "nats"), 0o700); err != nil {
		return nil, err
	}
	ns, err := startNATS(filepath.Join(dir, "nats"))
	if err != nil {
		return nil, err
	}
	defer ns.Shutdown()

	c := newClock(o.N)
	fake := koretest.NewServer(koretest.WithLimits(huge, huge))
	defer fake.Close()
	rec := newRecorder(fake, o.N, c)
	koreLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	koreSrv := &http.Server{Handler: rec, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = koreSrv.Serve(koreLn) }()
	defer koreSrv.Close()

	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cfg, err := writeConfig(dir, korelayConfig{
		NATSURL: ns.ClientURL(), KoreURL: "http://" + koreLn.Addr().String(), HTTPAddr: httpAddr,
		BotID: fake.BotID, ClientID: fake.ClientID, ClientSecret: fake.ClientSecret, LogLevel: o.LogLevel,
		PerMinute: o.BudgetMinute, PerHour: o.BudgetHour,
	})
	if err != nil {
		return nil, err
	}
	proc, err := startKorelay(bin, cfg, dir, "korelay.log")
	if err != nil {
		return nil, err
	}
	defer proc.kill()
	if err := proc.waitReady(ctx, httpAddr, 30*time.Second); err != nil {
		return nil, err
	}

	nc, err := nats.Connect(ns.ClientURL(), nats.Name("korelay-bench"))
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	pub, err := newPublisher(nc, c, o.N, o.Pending)
	if err != nil {
		return nil, err
	}
	if err := waitStream(ctx, pub.js, 30*time.Second); err != nil {
		return nil, err
	}

	res := &Result{Mode: mode, Events: o.N, Matching: (o.N + 1) / 2}
	if mode == "paced" {
		res.Rate = o.Rate
	}
	pid := proc.cmd.Process.Pid
	cpu0, err := cpuTime(pid)
	if err != nil {
		return nil, err
	}
	self0, _ := cpuTime(os.Getpid())
	rss0, _ := memKiB(pid, "VmRSS")
	pubStart := c.now()
	if mode == "paced" {
		err = pub.runPaced(ctx, o.Rate, o.Tick)
	} else {
		err = pub.runMax(ctx)
	}
	pubEnd := c.now()
	if err != nil {
		res.problem("publishing: %v", err)
	}
	res.PublishSeconds = (pubEnd - pubStart).Seconds()
	res.PublishRate = float64(o.N) / res.PublishSeconds

	var killedCPU time.Duration
	if o.KillAfter > 0 && err == nil {
		var kerr error
		proc, killedCPU, kerr = killAndRestart(ctx, o, rec, proc, bin, cfg, dir, httpAddr)
		if kerr != nil {
			return nil, kerr
		}
		defer proc.kill()
		pid, cpu0 = proc.cmd.Process.Pid, -killedCPU+cpu0
		res.Killed, res.AllowedDuplicates = true, maxCallsInFlight
	}
	werr := waitDone(ctx, o, rec, pub.js)
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
	exit, took, ok := proc.stop(o.Drain)
	res.Exit, res.ExitSeconds = exit, took.Seconds()
	if !ok {
		res.problem("korelay stop: %s", exit)
	}

	res.fill(rec, pubStart, cpu1-cpu0, rss0, hwm)
	if res.Notified > 0 {
		res.HarnessCPUPerNotificationUs = float64((self1 - self0).Microseconds()) / float64(res.Notified)
	}
	res.check()
	if !res.OK {
		res.LogTail = proc.tail()
	}
	return res, nil
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

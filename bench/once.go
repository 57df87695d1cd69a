package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/adapters/delivery"
)

// runOrders runs one job of the order scenarios (orders or nomatch)
// against a fresh NATS store, fake Kore and system in dir, and returns
// what it measured.
func runOrders(ctx context.Context, o options, b bins, j job, dir string) (*Result, error) {
	set := orders{n: o.N, none: j.scenario == scenNoMatch}
	e, err := startEnv(ctx, o, b, j.system, set, dir)
	if err != nil {
		return nil, err
	}
	defer e.close()
	res := &Result{System: j.system, Scenario: j.scenario, Mode: j.mode, Kore: o.Kore,
		Events: o.N, Matching: set.matching()}
	if j.mode == "paced" {
		res.Rate = o.Rate
	}
	if err := e.measure(ctx, o, j, res); err != nil {
		return nil, err
	}
	res.check()
	if !res.OK {
		res.LogTail = e.sys.proc.tail()
	}
	return res, nil
}

// env is one run's surroundings: NATS, the fake Kore, the system under
// test and the publisher.
type env struct {
	bin   string
	dir   string
	c     *clock
	ns    *server.Server
	kore  *fakeKore
	check *orderCheck
	sys   *started
	nc    *nats.Conn
	pub   *publisher
}

// startEnv starts NATS, the fake Kore and the system, and waits until the
// system is ready and its stream captures the order subjects.
func startEnv(ctx context.Context, o options, b bins, system string, set orders, dir string) (*env, error) {
	ns, err := startNATS(filepath.Join(dir, "nats"))
	if err != nil {
		return nil, err
	}
	e := &env{dir: dir, c: newClock(o.N), ns: ns}
	if err := e.start(ctx, o, b, system, set); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

// start does startEnv's work after NATS is up.
func (e *env) start(ctx context.Context, o options, b bins, system string, set orders) error {
	e.check = newOrderCheck(set, e.c)
	var err error
	if e.kore, err = startFakeKore(o.Kore, e.c, e.check); err != nil {
		return err
	}
	url := e.ns.ClientURL()
	if system == sysReference {
		e.bin = b.reference
		e.sys, err = startReference(ctx, o, e.bin, e.dir, url, e.kore)
	} else {
		e.bin = b.korelay
		e.sys, err = startKorelayFor(ctx, o, e.bin, e.dir, url, e.kore, orderRule, "")
	}
	if err != nil {
		return err
	}
	if e.nc, err = nats.Connect(url, nats.Name("korelay-bench")); err != nil {
		return err
	}
	if e.pub, err = newPublisher(e.nc, e.c, set, o.Pending); err != nil {
		return err
	}
	return waitStream(ctx, e.pub.js, e.sys.stream, ruleSubject, readyLimit)
}

// close stops everything startEnv started.
func (e *env) close() {
	if e.nc != nil {
		e.nc.Close()
	}
	if e.sys != nil {
		e.sys.proc.kill()
	}
	if e.kore != nil {
		e.kore.close()
	}
	e.ns.Shutdown()
}

// measure publishes, waits for every notification and acknowledgement,
// and fills res.
func (e *env) measure(ctx context.Context, o options, j job, res *Result) error {
	p := e.sys.proc
	cpu0, err := cpuTime(p.pid())
	if err != nil {
		return err
	}
	self0, _ := cpuTime(os.Getpid())
	rss0, _ := memKiB(p.pid(), "VmRSS")
	pubStart := e.c.now()
	if j.mode == "paced" {
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
	if o.KillAfter > 0 && j.system == sysKorelay && j.scenario == scenOrders && err == nil {
		killedCPU, kerr := e.killAndRestart(ctx, o)
		if kerr != nil {
			return kerr
		}
		p, cpu0 = e.sys.proc, cpu0-killedCPU
		// A kill repeats the calls at Kore and those Kore accepted whose
		// keys were not recorded yet: the engine keeps both together
		// under twice its concurrency.
		res.Killed, res.AllowedDuplicates = true, 2*delivery.DefaultConcurrency
	}
	werr := waitDone(ctx, o.Stall, e.pub.js, goal{want: int64(res.Matching), delivered: e.check.delivered.Load,
		events: uint64(o.N), stream: e.sys.stream})
	doneAt := e.c.now()
	cpu1, cerr := cpuTime(p.pid())
	self1, _ := cpuTime(os.Getpid())
	if werr != nil {
		res.problem("%v", werr)
	}
	if werr == nil && ctx.Err() == nil {
		time.Sleep(o.Settle) // late duplicates or stray calls show up here
	}
	hwm, herr := memKiB(p.pid(), "VmHWM")
	file, ferr := memKiB(p.pid(), "RssFile")
	res.FileRSSMiB = float64(file) / 1024
	if err := errors.Join(cerr, herr, ferr); err != nil {
		res.problem("reading /proc: %v", err)
	}
	e.stop(o, res)
	res.fill(e.check, e.kore.stats, pubStart, doneAt, cpu1-cpu0, rss0, hwm)
	res.HarnessCPUSeconds = (self1 - self0).Seconds()
	if res.Notified > 0 {
		res.HarnessCPUPerNotificationUs = float64((self1 - self0).Microseconds()) / float64(res.Notified)
	}
	return nil
}

// stop stops the system with SIGTERM and records how that went.
func (e *env) stop(o options, res *Result) {
	exit, took, ok := e.sys.proc.stop(o.Drain)
	res.Exit, res.ExitSeconds = exit, took.Seconds()
	if !ok {
		res.problem("%s stop: %s", e.sys.proc.name, exit)
	}
}

// killAndRestart waits until o.KillAfter notifications arrived, SIGKILLs
// korelay (no drain, no shutdown) and starts a fresh one on the same
// configuration. It returns the CPU the killed one used.
func (e *env) killAndRestart(ctx context.Context, o options) (time.Duration, error) {
	for e.check.delivered.Load() < o.KillAfter {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	used, _ := cpuTime(e.sys.proc.pid())
	e.sys.proc.kill()
	next, err := startKorelay(e.bin, e.sys.cfg, e.dir, "korelay-restarted.log", "")
	if err != nil {
		return 0, fmt.Errorf("restart korelay: %w", err)
	}
	e.sys.proc = next
	if err := next.waitReady(ctx, readyz(e.sys.httpAddr), readyLimit); err != nil {
		return 0, fmt.Errorf("restarted korelay: %w", err)
	}
	return used, nil
}

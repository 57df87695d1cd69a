package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// BroadcastStats are the broadcast scenario's own figures.
type BroadcastStats struct {
	Identities    int           `json:"identities"`
	ExpectedCalls int           `json:"expected_calls"`
	FullCalls     int64         `json:"full_calls"` // calls with 1000 identities
	CallSizes     map[int]int64 `json:"call_sizes"` // identities per call → calls
	Delivered     int64         `json:"delivered"`  // identities notified at least once
	Duplicates    int64         `json:"duplicates"`
	Unknown       int64         `json:"unknown_identities"`
	BadTexts      int64         `json:"bad_texts"`
	Cron          string        `json:"cron"`
	Scheduled     time.Time     `json:"scheduled"`
	// From the scheduled fire: the first and the last call's arrival, and
	// the cron event's acknowledgement (to the harness's 20 ms polling).
	FirstCallSeconds float64 `json:"first_call_seconds"`
	LastCallSeconds  float64 `json:"last_call_seconds"`
	AckSeconds       float64 `json:"ack_seconds"`
}

// broadcastRule sends one text to everyone in data.people when spec fires.
func broadcastRule(spec string) string {
	return `rules:
  - name: office-notice
    description: Tell everyone in the dataset the same thing, once.
    on: {cron: "` + spec + `"}
    notify:
      channel: msteams
      to: 'map(data.people, #.email)'
      text: "` + broadcastText + `"
`
}

// broadcastDatasets is the config's datasets section.
const broadcastDatasets = "datasets:\n  people: ./people.csv\n"

// runBroadcast starts korelay with one cron rule that fires once, lead
// after now, to the whole dataset, and measures that fire: korelay's CPU
// from just before it until the cron event is acknowledged, and its calls.
func runBroadcast(ctx context.Context, o options, bin, dir string) (*Result, error) {
	ns, err := startNATS(filepath.Join(dir, "nats"))
	if err != nil {
		return nil, err
	}
	defer ns.Shutdown()
	c := newClock(0)
	chk := newBroadcastCheck(o.BroadcastSize)
	k, err := startFakeKore(o.Kore, c, chk)
	if err != nil {
		return nil, err
	}
	defer k.close()
	if err := writePeople(filepath.Join(dir, "people.csv"), o.BroadcastSize); err != nil {
		return nil, err
	}
	// One fire a day at a whole second: this run sees exactly one.
	fire := time.Now().UTC().Add(o.BroadcastLead).Truncate(time.Second).Add(time.Second)
	spec := fmt.Sprintf("%d %d %d * * *", fire.Second(), fire.Minute(), fire.Hour())
	sys, err := startKorelayFor(ctx, o, bin, dir, ns.ClientURL(), k, broadcastRule(spec), broadcastDatasets)
	if err != nil {
		return nil, err
	}
	defer sys.proc.kill()
	if left := time.Until(fire); left < 300*time.Millisecond {
		return nil, fmt.Errorf("korelay was ready only %v before the fire: raise -broadcast-lead", left.Round(time.Millisecond))
	}
	nc, err := nats.Connect(ns.ClientURL(), nats.Name("korelay-bench"))
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	res := &Result{System: sysKorelay, Scenario: scenBroadcast, Kore: o.Kore, Events: 1, Matching: 1,
		Broadcast: &BroadcastStats{Identities: o.BroadcastSize, Cron: spec, Scheduled: fire}}
	if err := measureFire(ctx, o, js, sys, c, chk, k.stats, res); err != nil {
		return nil, err
	}
	if !res.OK {
		res.LogTail = sys.proc.tail()
	}
	return res, nil
}

// measureFire waits for the fire and its calls and fills res.
func measureFire(ctx context.Context, o options, js jetstream.JetStream, sys *started, c *clock, chk *broadcastCheck, stats *callStats, res *Result) error {
	fire := res.Broadcast.Scheduled
	select {
	case <-time.After(time.Until(fire.Add(-200 * time.Millisecond))):
	case <-ctx.Done():
		return ctx.Err()
	}
	pid := sys.proc.pid()
	cpu0, err := cpuTime(pid)
	if err != nil {
		return err
	}
	rss0, _ := memKiB(pid, "VmRSS")
	self0, _ := cpuTime(os.Getpid())
	want, _ := expectedCalls(o.BroadcastSize)
	werr := waitDone(ctx, o.Stall, js, goal{want: int64(want), delivered: chk.calls.Load, events: 1, stream: sys.stream})
	doneAt := c.now()
	cpu1, cerr := cpuTime(pid)
	self1, _ := cpuTime(os.Getpid())
	res.HarnessCPUSeconds = (self1 - self0).Seconds()
	if werr != nil {
		res.problem("%v", werr)
	}
	if werr == nil && ctx.Err() == nil {
		time.Sleep(o.Settle) // stray calls show up here
	}
	hwm, herr := memKiB(pid, "VmHWM")
	if err := errors.Join(cerr, herr); err != nil {
		res.problem("reading /proc: %v", err)
	}
	exit, took, ok := sys.proc.stop(o.Drain)
	res.Exit, res.ExitSeconds = exit, took.Seconds()
	if !ok {
		res.problem("korelay stop: %s", exit)
	}
	res.fillBroadcast(chk, stats, c.at(fire), doneAt, cpu1-cpu0, rss0, hwm)
	res.checkBroadcast()
	return nil
}

// fillBroadcast computes the broadcast's measurements.
func (r *Result) fillBroadcast(chk *broadcastCheck, stats *callStats, fireAt, doneAt, cpu time.Duration, rss0, hwm int64) {
	b := r.Broadcast
	b.ExpectedCalls, _ = expectedCalls(b.Identities)
	b.CallSizes = chk.callSizes()
	b.FullCalls = b.CallSizes[1000]
	b.Delivered, b.Duplicates = chk.delivered.Load(), chk.duplicates.Load()
	b.Unknown, b.BadTexts = chk.unknown.Load(), chk.badTexts.Load()
	if first := chk.firstCall.Load(); chk.calls.Load() > 0 {
		b.FirstCallSeconds = (time.Duration(first) - fireAt).Seconds()
		b.LastCallSeconds = (time.Duration(stats.lastCall.Load()) - fireAt).Seconds()
	}
	b.AckSeconds = (doneAt - fireAt).Seconds()
	r.fillCalls(stats)
	r.Notified, r.Duplicates = b.Delivered, b.Duplicates
	r.Lost = int64(b.Identities) - b.Delivered
	r.Samples = chk.bad.get()
	r.CPUSeconds = cpu.Seconds()
	r.CPUPerNotificationUs = float64(cpu.Microseconds()) / float64(b.Identities)
	r.StartRSSMiB, r.PeakRSSMiB = float64(rss0)/1024, float64(hwm)/1024
}

// checkBroadcast turns the broadcast's counters into problems and sets OK.
func (r *Result) checkBroadcast() {
	b := r.Broadcast
	calls, full := expectedCalls(b.Identities)
	if r.NotifyCalls != int64(calls) || b.FullCalls != int64(full) {
		r.problem("%d notify calls (sizes %v), want %d of which %d with 1000 identities", r.NotifyCalls, b.CallSizes, calls, full)
	}
	if r.Lost > 0 {
		r.problem("%d of %d identities were never notified", r.Lost, b.Identities)
	}
	if b.Duplicates > 0 || b.Unknown > 0 || b.BadTexts > 0 {
		r.problem("%d duplicate notifications, %d unknown identities, %d calls with another text (e.g. %q)",
			b.Duplicates, b.Unknown, b.BadTexts, r.Samples)
	}
	if r.RejectedCalls > 0 {
		r.problem("the fake Kore rejected %d calls (e.g. %q)", r.RejectedCalls, r.Rejections)
	}
	r.OK = len(r.Problems) == 0
}

// writePeople writes the broadcast dataset: a CSV of size people.
func writePeople(file string, size int) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	_, _ = w.WriteString("email,name\n")
	for i := range size {
		_, _ = w.WriteString(person(i) + ",Person " + strconv.Itoa(i) + "\n")
	}
	return errors.Join(w.Flush(), f.Close())
}

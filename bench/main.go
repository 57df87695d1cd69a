// Command bench is korelay's load harness. It builds ./cmd/korelay, runs it
// as a subprocess against an in-process NATS server (JetStream) and an
// in-process fake Kore (koretest), publishes order events, and reports
// throughput, latency from publish to Kore call, Kore calls per
// notification, korelay's CPU per notification and its peak RSS, checking
// that every matching event was notified exactly once with its exact id.
//
// Usage:
//
//	go run ./bench [-n 100000] [-mode max|paced|both] [-rate 3000] [-runs 1] [-out FILE]
//
// See bench/README.md for every flag. It talks to 127.0.0.1 only.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// options are the harness's flags.
type options struct {
	N        int           // events per run
	Mode     string        // max, paced or both
	Rate     float64       // events per second in paced mode
	Tick     time.Duration // publishing interval in paced mode
	Runs     int           // repetitions of each mode
	Out      string        // JSON report file; empty: none
	Timeout  time.Duration // bound on the whole harness
	Stall    time.Duration // give a run up after this long without progress
	Settle   time.Duration // wait after completion for late or duplicate calls
	Drain    time.Duration // korelay's drain timeout after SIGTERM
	Bin      string        // prebuilt korelay binary; empty: build ./cmd/korelay
	LogLevel string        // korelay's log level
	Pending  int           // bound of PublishAsync's pending acks
	Keep     bool          // keep the temporary directory
	// KillAfter, when positive, SIGKILLs korelay once this many
	// notifications arrived and starts a fresh one on the same NATS.
	KillAfter int64

	BudgetMinute, BudgetHour int // korelay's kore.budget
}

func main() {
	var o options
	fs := flag.NewFlagSet("bench", flag.ExitOnError)
	fs.IntVar(&o.N, "n", 100000, "order events to publish per run (half of them match the rule)")
	fs.StringVar(&o.Mode, "mode", "both", "max (publish as fast as possible), paced (at -rate) or both")
	fs.Float64Var(&o.Rate, "rate", 3000, "events per second in paced mode")
	fs.DurationVar(&o.Tick, "tick", 2*time.Millisecond, "paced mode publishes a small batch every tick")
	fs.IntVar(&o.Runs, "runs", 1, "repeat each mode this many times (fresh korelay and NATS store each time)")
	fs.StringVar(&o.Out, "out", "", "write the results as JSON to this file")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "overall time limit")
	fs.DurationVar(&o.Stall, "stall", 30*time.Second, "give a run up after this long without progress")
	fs.DurationVar(&o.Settle, "settle", time.Second, "after the last expected call, wait this long for duplicates")
	fs.DurationVar(&o.Drain, "drain", 15*time.Second, "korelay's drain timeout: how long SIGTERM may take")
	fs.StringVar(&o.Bin, "bin", "", "use this korelay binary instead of building ./cmd/korelay")
	fs.StringVar(&o.LogLevel, "log-level", "info", "korelay's log level (its log goes to a file in the temp dir)")
	fs.IntVar(&o.Pending, "pending", 4096, "max outstanding PublishAsync acks")
	fs.Int64Var(&o.KillAfter, "kill", 0, "SIGKILL korelay after this many notifications and restart it (max mode only): nothing may be lost; duplicates are reported, at most the calls in flight")
	fs.IntVar(&o.BudgetMinute, "budget-minute", 10000000, "korelay's kore.budget.per_minute (calls are spread at per_minute/60 a second)")
	fs.IntVar(&o.BudgetHour, "budget-hour", 100000000, "korelay's kore.budget.per_hour")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary directory (binary, config, korelay logs)")
	_ = fs.Parse(os.Args[1:])

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	results, err := run(ctx, o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	if failed(results) {
		fmt.Fprintln(os.Stderr, "bench: FAILED: see the problems above")
		os.Exit(1)
	}
}

// run executes the runs o asks for and prints the report to w.
func run(ctx context.Context, o options, w io.Writer) ([]*Result, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "korelay-bench-*")
	if err != nil {
		return nil, err
	}
	if o.Keep {
		fmt.Fprintln(w, "temp dir:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin := o.Bin
	if bin == "" {
		fmt.Fprintln(w, "building ./cmd/korelay ...")
		if bin, err = buildKorelay(ctx, dir); err != nil {
			return nil, err
		}
	}
	var results []*Result
	for r := 1; r <= o.Runs; r++ {
		for _, mode := range o.modes() {
			res, err := runOnce(ctx, o, mode, bin, fmt.Sprintf("%s/%s-%d", dir, mode, r))
			if err != nil {
				return results, fmt.Errorf("%s run %d: %w", mode, r, err)
			}
			res.Run = r
			results = append(results, res)
			printResult(w, res)
		}
	}
	printTable(w, results)
	if o.Runs > 1 {
		printSpread(w, results)
	}
	if o.Out != "" {
		if err := writeJSON(o.Out, o, results); err != nil {
			return results, err
		}
	}
	return results, nil
}

// check validates the flags.
func (o options) check() error {
	switch {
	case o.N < 2:
		return fmt.Errorf("-n %d: want at least 2", o.N)
	case o.Mode != "max" && o.Mode != "paced" && o.Mode != "both":
		return fmt.Errorf("-mode %q: want max, paced or both", o.Mode)
	case o.KillAfter > 0 && o.Mode != "max":
		return fmt.Errorf("-kill works with -mode max only")
	case o.KillAfter >= int64(o.N+1)/2:
		return fmt.Errorf("-kill %d: must be below the %d matching events", o.KillAfter, (o.N+1)/2)
	case o.Rate <= 0:
		return fmt.Errorf("-rate %v: want > 0", o.Rate)
	case o.Tick <= 0 || o.Runs < 1 || o.Pending < 1 || o.BudgetMinute < 1 || o.BudgetHour < 1:
		return fmt.Errorf("-tick, -runs, -pending, -budget-minute and -budget-hour must be positive")
	}
	return nil
}

// modes lists the modes to run, in order.
func (o options) modes() []string {
	if o.Mode == "both" {
		return []string{"max", "paced"}
	}
	return []string{o.Mode}
}

package main

import (
	"flag"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Systems under test and scenarios.
const (
	sysKorelay   = "korelay"
	sysReference = "reference"

	scenOrders    = "orders"    // the order rule, korelay and the reference
	scenNoMatch   = "nomatch"   // order events that match no rule, korelay only
	scenBroadcast = "broadcast" // one cron fire to a large dataset, korelay only
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
	RefBin   string        // prebuilt reference binary; empty: build ./bench/reference
	LogLevel string        // korelay's log level
	Pending  int           // bound of PublishAsync's pending acks
	Keep     bool          // keep the temporary directory
	// KillAfter, when positive, SIGKILLs korelay once this many
	// notifications arrived and starts a fresh one on the same NATS.
	KillAfter int64

	BudgetMinute, BudgetHour int // korelay's kore.budget

	Systems   string // both, korelay or reference; empty: both (korelay with -kill)
	Scenarios string // comma-separated scenarios or all; empty: all (orders with -kill)
	Kore      string // lean or full: the fake Kore
	Workers   int    // the reference's worker pool
	Batch     int    // the reference's pull batch
	RefLedger bool   // the reference keeps an idempotency ledger too

	Profile string // write the harness's own CPU profile here; empty: none
	// KorelayProfile, when set, is a folder where each run of korelay and
	// of the reference writes its CPU profile (-cpuprofile), named after
	// its system and job.
	KorelayProfile string
	// KorelayConfig is YAML appended to korelay's generated configuration
	// (top-level sections it does not write itself, e.g. journal).
	KorelayConfig string

	BroadcastSize int           // identities in the broadcast dataset
	BroadcastLead time.Duration // from korelay's start to the broadcast's cron fire
}

// parseFlags reads the command line into options.
func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&o.N, "n", 100000, "order events to publish per run (half of them match the rule)")
	fs.StringVar(&o.Mode, "mode", "both", "orders scenario: max (publish as fast as possible), paced (at -rate) or both")
	fs.Float64Var(&o.Rate, "rate", 6000, "events per second in paced mode (half match: 6000 is 3,000 notifications/s)")
	fs.DurationVar(&o.Tick, "tick", 2*time.Millisecond, "paced mode publishes a small batch every tick")
	fs.IntVar(&o.Runs, "runs", 1, "repeat everything this many times (fresh NATS store, fake Kore and process each time)")
	fs.StringVar(&o.Out, "out", "", "write the results and ratios as JSON to this file")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "overall time limit")
	fs.DurationVar(&o.Stall, "stall", 30*time.Second, "give a run up after this long without progress")
	fs.DurationVar(&o.Settle, "settle", time.Second, "after the last expected call, wait this long for duplicates")
	fs.DurationVar(&o.Drain, "drain", 15*time.Second, "korelay's drain timeout: how long SIGTERM may take")
	fs.StringVar(&o.Bin, "bin", "", "use this korelay binary instead of building ./cmd/korelay")
	fs.StringVar(&o.RefBin, "ref-bin", "", "use this reference binary instead of building ./bench/reference")
	fs.StringVar(&o.LogLevel, "log-level", "info", "korelay's log level (its log goes to a file in the temp dir)")
	fs.IntVar(&o.Pending, "pending", 4096, "max outstanding PublishAsync acks")
	fs.Int64Var(&o.KillAfter, "kill", 0, "SIGKILL korelay after this many notifications and restart it (orders, max mode, korelay only): nothing may be lost; duplicates are reported, at most the calls at Kore or being recorded (twice korelay's concurrency)")
	fs.IntVar(&o.BudgetMinute, "budget-minute", 10000000, "korelay's kore.budget.per_minute (calls are spread at per_minute/60 a second)")
	fs.IntVar(&o.BudgetHour, "budget-hour", 100000000, "korelay's kore.budget.per_hour")
	fs.BoolVar(&o.Keep, "keep", false, "keep the temporary directory (binaries, configs, logs)")
	fs.StringVar(&o.Systems, "systems", "", "orders scenario: both (reference and korelay, alternately), korelay or reference (default both; korelay with -kill)")
	fs.StringVar(&o.Scenarios, "scenarios", "", "comma-separated: orders, nomatch, broadcast, or all (default all; orders with -kill)")
	fs.StringVar(&o.Kore, "kore", "lean", "fake Kore: lean (checks shape, no JWT verification; for speed) or full (kore/koretest; for correctness)")
	fs.IntVar(&o.Workers, "workers", 32, "the reference's workers (Kore calls in flight; korelay's default concurrency is 32)")
	fs.IntVar(&o.Batch, "batch", 512, "the reference's pull batch (korelay pulls up to 512)")
	fs.BoolVar(&o.RefLedger, "ref-ledger", false, "the reference keeps an idempotency ledger too, as korelay does (one KV entry per notification, awaited before the ack): the ratios then leave out the ledger's own cost")
	fs.IntVar(&o.BroadcastSize, "broadcast-size", 100000, "identities in the broadcast scenario's dataset")
	fs.DurationVar(&o.BroadcastLead, "broadcast-lead", 6*time.Second, "the broadcast's cron fire is this long after korelay starts")
	fs.StringVar(&o.Profile, "profile", "", "write a CPU profile of the harness itself (NATS server, fake Kore, publisher) to this file")
	fs.StringVar(&o.KorelayProfile, "korelay-profile", "", "write each run's CPU profile, korelay's and the reference's, into this folder (-cpuprofile)")
	fs.StringVar(&o.KorelayConfig, "korelay-config", "", "YAML appended to korelay's configuration, e.g. 'journal: {enabled: false}'")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.setDefaults()
	return o, o.check()
}

// setDefaults fills the flags whose default depends on others.
func (o *options) setDefaults() {
	if o.Systems == "" {
		o.Systems = "both"
		if o.KillAfter > 0 {
			o.Systems = sysKorelay
		}
	}
	if o.Scenarios == "" {
		o.Scenarios = "all"
		if o.KillAfter > 0 {
			o.Scenarios = scenOrders
		}
	}
}

// check validates the flags.
func (o options) check() error {
	if _, err := o.scenarioList(); err != nil {
		return err
	}
	switch {
	case o.N < 2:
		return fmt.Errorf("-n %d: want at least 2", o.N)
	case o.Mode != "max" && o.Mode != "paced" && o.Mode != "both":
		return fmt.Errorf("-mode %q: want max, paced or both", o.Mode)
	case o.Systems != "both" && o.Systems != sysKorelay && o.Systems != sysReference:
		return fmt.Errorf("-systems %q: want both, korelay or reference", o.Systems)
	case o.Kore != "lean" && o.Kore != "full":
		return fmt.Errorf("-kore %q: want lean or full", o.Kore)
	case o.KillAfter > 0 && (o.Mode != "max" || o.Systems != sysKorelay):
		return fmt.Errorf("-kill works with -mode max and -systems korelay only")
	case o.KillAfter >= int64(o.N+1)/2:
		return fmt.Errorf("-kill %d: must be below the %d matching events", o.KillAfter, (o.N+1)/2)
	case o.Rate <= 0:
		return fmt.Errorf("-rate %v: want > 0", o.Rate)
	case o.Tick <= 0 || o.Runs < 1 || o.Pending < 1 || o.BudgetMinute < 1 || o.BudgetHour < 1 ||
		o.Workers < 1 || o.Batch < 1 || o.BroadcastSize < 1 || o.BroadcastLead <= 0:
		return fmt.Errorf("-tick, -runs, -pending, -budget-minute, -budget-hour, -workers, -batch, -broadcast-size and -broadcast-lead must be positive")
	}
	return nil
}

// modes lists the orders scenario's modes, in order.
func (o options) modes() []string {
	if o.Mode == "both" {
		return []string{"max", "paced"}
	}
	return []string{o.Mode}
}

// systems lists the systems the orders scenario runs in run r: with both,
// the order alternates from one run to the next.
func (o options) systems(r int) []string {
	switch {
	case o.Systems != "both":
		return []string{o.Systems}
	case r%2 == 1:
		return []string{sysReference, sysKorelay}
	default:
		return []string{sysKorelay, sysReference}
	}
}

// scenarioList parses -scenarios.
func (o options) scenarioList() ([]string, error) {
	all := []string{scenOrders, scenNoMatch, scenBroadcast}
	if o.Scenarios == "all" {
		return all, nil
	}
	var list []string
	for s := range strings.SplitSeq(o.Scenarios, ",") {
		s = strings.TrimSpace(s)
		if !slices.Contains(all, s) {
			return nil, fmt.Errorf("-scenarios: %q: want orders, nomatch, broadcast or all", s)
		}
		if !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list, nil
}

// has reports whether scenario s is selected.
func (o options) has(s string) bool {
	list, _ := o.scenarioList()
	return slices.Contains(list, s)
}

// needs reports which binaries the selected runs use.
func (o options) needs() (korelay, reference bool) {
	orders := o.has(scenOrders)
	korelay = o.has(scenNoMatch) || o.has(scenBroadcast) || (orders && o.Systems != sysReference)
	reference = orders && o.Systems != sysKorelay
	return korelay, reference
}

// Command bench is korelay's load harness. It builds ./cmd/korelay and a
// hand-written reference consumer (./bench/reference), runs each as a
// subprocess against an in-process NATS server (JetStream) and an
// in-process fake Kore, publishes order events, and reports throughput,
// latency from publish to Kore call, Kore calls per notification, CPU per
// notification and peak RSS of each, and korelay ÷ reference for each,
// checking that every matching event was notified exactly once with its
// exact id. Two korelay-only scenarios measure events that match no rule
// and one cron broadcast to a large dataset.
//
// Usage:
//
//	go run ./bench [-n 100000] [-mode max|paced|both] [-rate 6000] [-runs 1] [-scenarios all] [-kore lean|full] [-out FILE]
//
// See bench/README.md for every flag. It talks to 127.0.0.1 only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/korelay/korelay/internal/cpuprofile"
)

func main() {
	o, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stopProfile, err := cpuprofile.Start(o.Profile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	results, err := run(ctx, o, os.Stdout)
	stopProfile()
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
	b, err := buildAll(ctx, o, dir, w)
	if err != nil {
		return nil, err
	}
	var results []*Result
	for r := 1; r <= o.Runs; r++ {
		for _, job := range o.jobs(r) {
			res, err := job.run(ctx, o, b, filepath.Join(dir, fmt.Sprintf("%s-%d", job.name(), r)))
			if err != nil {
				return results, fmt.Errorf("%s run %d: %w", job.name(), r, err)
			}
			res.Run = r
			results = append(results, res)
			printResult(w, res)
		}
	}
	rep := newReport(o, results)
	rep.print(w)
	if o.Out != "" {
		if err := rep.write(o.Out); err != nil {
			return results, err
		}
	}
	return results, nil
}

// Command reference is the hand-written Go pipeline that korelay's load
// harness (bench/) compares korelay against: the same job as the harness's
// order rule, with no rules engine and, unless -ledger names a bucket, no
// idempotency ledger.
//
// It creates its own JetStream stream and durable pull consumer on the
// given subject, pulls in batches, decodes each order (keeping the id's
// exact digits), and for status "paid" POSTs "Hi NAME, order ID is
// confirmed." to Kore's notify API over keep-alive connections from a
// fixed pool of workers, acking each event after a 2xx (or at once when it
// does not match). Failures are redelivered with backoff (429, 5xx,
// network) or terminated (other 4xx, undecodable events). With -ledger it
// also records each notification in a KV bucket once Kore accepts it and
// acks the event when the server has stored the entry (the worker moves on
// meanwhile), and looks an event up before sending it again after a
// redelivery, as korelay's ledger does: the harness's -ref-ledger uses it
// to tell the ledger's own cost from korelay's.
//
// Usage (the harness passes every flag):
//
//	reference -nats URL -kore URL -bot ID -client-id ID -client-secret S [-workers 32] [-ledger BUCKET] [-ready FILE]
//
// SIGTERM or SIGINT stops pulling, lets the workers finish the events they
// hold, flushes the acks and exits 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/korelay/korelay/internal/cpuprofile"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

// options are the program's flags.
type options struct {
	NATSURL, KoreURL            string
	BotID, ClientID, Secret     string
	Stream, Subject, Consumer   string
	Workers, Batch, MaxAckPend  int
	Ready, CPUProfile, Ledger   string
	HTTPTimeout, Drain, AckWait time.Duration
}

// run parses args, runs the pipeline until a signal, and returns the exit code.
func run(args []string, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "reference:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	stopProfile, err := cpuprofile.Start(o.CPUProfile)
	if err != nil {
		fmt.Fprintln(stderr, "reference:", err)
		return 1
	}
	defer stopProfile()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := serve(ctx, o, log); err != nil {
		fmt.Fprintln(stderr, "reference:", err)
		return 1
	}
	return 0
}

// parseFlags reads and checks the flags.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("reference", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.NATSURL, "nats", "", "NATS server URL")
	fs.StringVar(&o.KoreURL, "kore", "", "Kore base URL (scheme://host[:port])")
	fs.StringVar(&o.BotID, "bot", "", "Kore bot id")
	fs.StringVar(&o.ClientID, "client-id", "", "Kore app client id (the JWT's appId)")
	fs.StringVar(&o.Secret, "client-secret", "", "Kore app client secret (the JWT's HS256 key)")
	fs.StringVar(&o.Stream, "stream", "ORDERS", "JetStream stream to create or update")
	fs.StringVar(&o.Subject, "subject", "orders.*.created", "subject the stream captures")
	fs.StringVar(&o.Consumer, "consumer", "reference", "durable pull consumer name")
	fs.IntVar(&o.Workers, "workers", 32, "workers, each with at most one Kore call in flight")
	fs.IntVar(&o.Batch, "batch", 512, "messages per pull request")
	fs.IntVar(&o.MaxAckPend, "max-ack-pending", 512, "the consumer's MaxAckPending (korelay's default)")
	fs.StringVar(&o.Ledger, "ledger", "", "also keep an idempotency ledger in this KV `bucket`, as korelay does: one entry per notification, stored before the event is acked")
	fs.StringVar(&o.Ready, "ready", "", "create this file once consuming")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile to this `file` until the reference stops")
	fs.DurationVar(&o.HTTPTimeout, "http-timeout", 10*time.Second, "timeout of one Kore call")
	fs.DurationVar(&o.Drain, "drain", 15*time.Second, "how long a stop waits for the workers")
	fs.DurationVar(&o.AckWait, "ack-wait", 30*time.Second, "the consumer's AckWait")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	return o, o.check()
}

// check reports missing or invalid flags.
func (o options) check() error {
	var errs []error
	for _, f := range []struct{ name, v string }{{"-nats", o.NATSURL}, {"-kore", o.KoreURL},
		{"-bot", o.BotID}, {"-client-id", o.ClientID}, {"-client-secret", o.Secret}} {
		if f.v == "" {
			errs = append(errs, fmt.Errorf("%s is required", f.name))
		}
	}
	if o.Workers < 1 || o.Batch < 1 || o.MaxAckPend < 1 {
		errs = append(errs, errors.New("-workers, -batch and -max-ack-pending must be positive"))
	}
	return errors.Join(errs...)
}

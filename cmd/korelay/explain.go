package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/journal"
)

// cmdExplain prints the story of one event: `korelay explain [-json] EVENT_ID`.
func cmdExplain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("explain", stderr)
	file := configFlag(fs)
	asJSON := fs.Bool("json", false, "print the story as one JSON object")
	ids, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(ids) != 1 {
		return usageError(fs, "name one event id (as in a webhook's 202 answer, the logs and dlq list)")
	}
	id := ids[0]
	cfg, err := loadConfig(*file, stderr)
	if err != nil {
		return err
	}
	if strings.HasPrefix(id, broker.DryRunEventPrefix) {
		return fmt.Errorf("event %s is a dry run's: a dry run records nothing shared; its story is on that korelay's status page, http://%s/events/%s", id, cfg.HTTP.Listen, id)
	}
	if !cfg.NATS.UseJetStream() {
		return fmt.Errorf("%s: nats.jetstream is false: core NATS keeps no journal (the status page of a running korelay shows its latest events)", cfg.File)
	}
	nc, closeFn, err := dialNATS(ctx, cfg, "korelay-explain")
	if err != nil {
		return err
	}
	defer closeFn()
	st, err := explainEvent(ctx, nc, cfg.NATS.Stream, id)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	printStory(stdout, st)
	return nil
}

// explainEvent reads the event's records from the journal stream and its
// dead letters from the dead-letter stream; either may be missing.
func explainEvent(ctx context.Context, nc *nats.Conn, stream, id string) (*journal.Story, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	var recs journal.RecordSource
	switch r, err := journal.OpenReader(ctx, js); {
	case err == nil:
		recs = r
	case !errors.Is(err, journal.ErrNoJournal):
		return nil, err
	}
	var dls journal.DeadLetterSource
	switch b, err := broker.Open(ctx, nc, broker.Options{Stream: stream}); {
	case err == nil:
		dls = b
	case !errors.Is(err, jetstream.ErrStreamNotFound):
		return nil, err
	}
	st, err := journal.Explain(ctx, recs, dls, id)
	if errors.Is(err, journal.ErrUnknownEvent) {
		return nil, fmt.Errorf("event %s: no journal record and no dead letter (the journal keeps journal.max_age, 24h by default; a dry run records nothing shared)", id)
	}
	return st, err
}

// parseInterspersed parses flags before and after the arguments
// (`explain ID -json` as well as `explain -json ID`) and returns the
// arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

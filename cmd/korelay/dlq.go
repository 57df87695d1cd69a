package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/config"
)

// dlqOptions are the flags of one dlq action.
type dlqOptions struct {
	action string
	file   *string
	filter broker.DLQFilter
	json   bool
	all    bool
}

func cmdDLQ(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseDLQ(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*o.file, stderr)
	if err != nil {
		return err
	}
	if !cfg.NATS.UseJetStream() {
		return fmt.Errorf("%s: nats.jetstream is false: core NATS keeps no dead letters (they are logged)", cfg.File)
	}
	b, closeFn, err := openBroker(ctx, cfg)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return noDeadLetters(o, stdout, "korelay has not run on this NATS yet")
	}
	if err != nil {
		return err
	}
	defer closeFn()
	switch o.action {
	case "replay":
		return replayDeadLetters(ctx, b, o, stdout)
	case "drop":
		return dropDeadLetters(ctx, b, o, stdout)
	}
	dls, err := b.DeadLetters(ctx, o.filter)
	if err != nil {
		return err
	}
	if len(dls) == 0 {
		return noDeadLetters(o, stdout, "")
	}
	if o.action == "show" {
		return showDeadLetters(stdout, dls, o.json)
	}
	return listDeadLetters(stdout, dls, o.json)
}

// parseDLQ parses `dlq ACTION [flags]`; each action has its own flags.
func parseDLQ(args []string, stderr io.Writer) (dlqOptions, error) {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && isHelpFlag(args[0]) {
			return dlqOptions{}, &helpRequest{name: "dlq"}
		}
		fmt.Fprintln(stderr, "korelay dlq: name an action: list, show, replay or drop")
		printShortUsage(stderr, "dlq")
		return dlqOptions{}, errUsage
	}
	o := dlqOptions{action: args[0]}
	if err := checkAction("dlq", o.action, "list, show, replay or drop", stderr); err != nil {
		return o, err
	}
	fs := newFlagSet("dlq "+o.action, stderr)
	o.file = configFlag(fs)
	fs.StringVar(&o.filter.Rule, "rule", "", "only dead letters of this `rule` (_event: events that failed before any rule)")
	fs.StringVar(&o.filter.EventID, "id", "", "only dead letters of this event `id` (as in a webhook's 202 answer, the logs and dlq list)")
	switch o.action {
	case "list", "show":
		fs.BoolVar(&o.json, "json", false, "print JSON Lines: one JSON object per dead letter")
	case "drop":
		fs.BoolVar(&o.all, "all", false, "drop every dead letter (needed when neither -rule nor -id is given)")
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return o, err
	}
	return o, o.check(fs)
}

func (o dlqOptions) check(fs *flag.FlagSet) error {
	switch {
	case fs.NArg() > 0:
		return usageError(fs, "unexpected argument %q (select an event with -id EVENT_ID)", fs.Arg(0))
	case o.action == "drop" && o.all && !o.filter.IsZero():
		return usageError(fs, "-all drops every dead letter; it does not combine with -rule or -id")
	case o.action == "drop" && !o.all && o.filter.IsZero():
		return usageError(fs, "refusing to drop every dead letter: select with -rule or -id, or pass -all")
	}
	return nil
}

func isHelpFlag(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// noDeadLetters reports that nothing matched: a note for list, and for an
// action given a selector an error (exit 1), so scripts notice a wrong id.
func noDeadLetters(o dlqOptions, stdout io.Writer, why string) error {
	if o.action != "list" && !o.filter.IsZero() {
		return fmt.Errorf("no dead letters%s", describeFilter(o.filter))
	}
	if o.json {
		return nil
	}
	if why != "" {
		fmt.Fprintf(stdout, "no dead letters (%s)\n", why)
		return nil
	}
	fmt.Fprintf(stdout, "no dead letters%s\n", describeFilter(o.filter))
	return nil
}

// describeFilter says which dead letters f selects, for messages.
func describeFilter(f broker.DLQFilter) string {
	var parts []string
	if f.EventID != "" {
		parts = append(parts, "of event "+f.EventID)
	}
	if f.Rule != "" {
		parts = append(parts, "of rule "+f.Rule)
	}
	if len(parts) == 0 {
		return ""
	}
	return " " + strings.Join(parts, " and ")
}

func replayDeadLetters(ctx context.Context, b *broker.Broker, o dlqOptions, stdout io.Writer) error {
	if err := requireMatch(ctx, b, o); err != nil {
		return err
	}
	n, err := b.Replay(ctx, o.filter)
	fmt.Fprintf(stdout, "replayed %s\n", plural(n, "event", "events"))
	return err
}

func dropDeadLetters(ctx context.Context, b *broker.Broker, o dlqOptions, stdout io.Writer) error {
	if err := requireMatch(ctx, b, o); err != nil {
		return err
	}
	n, err := b.Drop(ctx, o.filter)
	fmt.Fprintf(stdout, "dropped %s\n", plural(n, "dead letter", "dead letters"))
	return err
}

// requireMatch fails when a selector was given and matches nothing.
func requireMatch(ctx context.Context, b *broker.Broker, o dlqOptions) error {
	if o.filter.IsZero() {
		return nil
	}
	dls, err := b.DeadLetters(ctx, o.filter)
	if err != nil {
		return err
	}
	if len(dls) == 0 {
		return noDeadLetters(o, io.Discard, "")
	}
	return nil
}

// openBroker reaches korelay's JetStream (see dialNATS) and opens its
// dead-letter stream. It changes no stream or consumer (broker.Open), so it
// neither needs the rules nor disturbs a running service's configuration.
func openBroker(ctx context.Context, cfg *config.Config) (*broker.Broker, func(), error) {
	nc, closeAll, err := dialNATS(ctx, cfg, "korelay-dlq")
	if err != nil {
		return nil, nil, err
	}
	b, err := broker.Open(ctx, nc, broker.Options{Stream: cfg.NATS.Stream})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return b, closeAll, nil
}

// dialNATS connects to korelay's NATS: nats.url when set; else the
// embedded server of a running korelay at nats.listen; else it opens
// data_dir itself with a private embedded server. The function returned
// closes the connection and any server started.
func dialNATS(ctx context.Context, cfg *config.Config, name string) (*nats.Conn, func(), error) {
	url := cfg.NATS.URL
	var (
		srv *server.Server
		err error
	)
	if url == "" {
		url = "nats://" + cfg.NATS.Listen
		if !reachable(ctx, url) {
			srv, err = broker.StartEmbedded(broker.EmbeddedOptions{Host: "127.0.0.1", Port: -1, StoreDir: cfg.NATS.DataDir, ServerName: "korelay"})
			if err != nil {
				return nil, nil, fmt.Errorf("open nats.data_dir %s: %w", cfg.NATS.DataDir, err)
			}
			url = srv.ClientURL()
		}
	}
	nc, err := broker.Connect(ctx, broker.ConnectOptions{
		URL: url, CredsFile: cfg.NATS.CredsFile, Token: cfg.NATS.Token.Value(),
		User: cfg.NATS.User, Password: cfg.NATS.Password.Value(),
		TLSCA: cfg.NATS.TLS.CA, TLSCert: cfg.NATS.TLS.Cert, TLSKey: cfg.NATS.TLS.Key, Name: name,
	})
	closeAll := func() {
		if nc != nil {
			nc.Close()
		}
		if srv != nil {
			srv.Shutdown()
			srv.WaitForShutdown()
		}
	}
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return nc, closeAll, nil
}

// reachable reports whether a NATS server answers at url.
func reachable(ctx context.Context, url string) bool {
	nc, err := nats.Connect(url, nats.Timeout(time.Second), nats.NoReconnect())
	if err != nil {
		return false
	}
	nc.Close()
	return ctx.Err() == nil
}

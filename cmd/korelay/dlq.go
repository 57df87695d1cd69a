package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/config"
)

func cmdDLQ(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "replay") {
		fmt.Fprintln(stderr, "usage: korelay dlq list|replay [-config F] [-rule R] [-id ID] [-event EVENT_ID]")
		return errUsage
	}
	action := args[0]
	fs := newFlagSet("dlq "+action, stderr)
	file := configFlag(fs)
	var f broker.DLQFilter
	fs.StringVar(&f.Rule, "rule", "", "only dead letters of this rule")
	fs.StringVar(&f.ID, "id", "", "only the dead letter with this id")
	fs.StringVar(&f.EventID, "event", "", "only dead letters of this event id")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	cfg, err := loadConfig(*file, stderr)
	if err != nil {
		return err
	}
	if !cfg.NATS.UseJetStream() {
		return fmt.Errorf("%s: nats.jetstream is false: core NATS keeps no dead letters (they are logged)", cfg.File)
	}
	b, closeFn, err := openBroker(ctx, cfg)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		fmt.Fprintln(stdout, "no dead letters (korelay has not run on this NATS yet)")
		return nil
	}
	if err != nil {
		return err
	}
	defer closeFn()
	if action == "replay" {
		n, err := b.Replay(ctx, f)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "replayed %d events\n", n)
		return nil
	}
	return listDeadLetters(ctx, b, f, stdout)
}

func listDeadLetters(ctx context.Context, b *broker.Broker, f broker.DLQFilter, stdout io.Writer) error {
	dls, err := b.DeadLetters(ctx, f)
	if err != nil {
		return err
	}
	if len(dls) == 0 {
		fmt.Fprintln(stdout, "no dead letters")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTIME\tEVENT\tRULE\tREASON\tIDENTITIES\tERROR")
	for _, d := range dls {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", d.ID, d.Time.Format(time.RFC3339), d.EventID,
			orDash(d.Rule), d.Reason, len(d.Identities), oneLine(d.Error))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// openBroker reaches korelay's JetStream: nats.url when set; else the
// embedded server of a running korelay at nats.listen; else it opens
// data_dir itself with a private embedded server. It changes no stream or
// consumer (broker.Open), so it neither needs the rules nor disturbs a
// running service's configuration.
func openBroker(ctx context.Context, cfg *config.Config) (*broker.Broker, func(), error) {
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
		TLSCA: cfg.NATS.TLS.CA, TLSCert: cfg.NATS.TLS.Cert, TLSKey: cfg.NATS.TLS.Key, Name: "korelay-dlq",
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
	b, err := broker.Open(ctx, nc, broker.Options{Stream: cfg.NATS.Stream})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return b, closeAll, nil
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

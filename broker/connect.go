package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// ConnectOptions says how to reach an external NATS server. Secrets in it
// (Token, Password, the userinfo of URL) are never logged nor put in errors.
type ConnectOptions struct {
	// URL is one or more comma-separated server URLs; empty means nats.DefaultURL.
	URL string
	// CredsFile is a NATS credentials file (JWT and seed).
	CredsFile string
	// Token is a bearer token.
	Token string
	// User and Password authenticate with user/password.
	User, Password string
	// TLSCA is a PEM file of CAs to verify the server with.
	TLSCA string
	// TLSCert and TLSKey are the client certificate and key (PEM files), set both or neither.
	TLSCert, TLSKey string
	// Name is the connection name shown by the server; empty means "korelay".
	Name string
	// InProcess, when set, connects to this in-process server without TCP
	// (see StartEmbedded); URL is then ignored.
	InProcess nats.InProcessConnProvider
	// Logger receives connection events (disconnect, reconnect, close,
	// asynchronous errors). Nil discards them.
	Logger *slog.Logger
}

// Reconnect pacing: exponential from reconnectBase up to reconnectMax, each
// wait with up to 50% random jitter added.
const (
	reconnectBase = 250 * time.Millisecond
	reconnectMax  = 15 * time.Second
)

// Connect opens a NATS connection that reconnects forever, with exponential
// backoff and jitter, and logs its connection events. ctx bounds the initial
// connect only; a failed initial connect is returned as an error naming the
// (redacted) server URL.
func Connect(ctx context.Context, opts ConnectOptions) (*nats.Conn, error) {
	natsOpts, err := opts.natsOptions()
	if err != nil {
		return nil, err
	}
	url := opts.URL
	if url == "" {
		url = nats.DefaultURL
	}
	shown := url
	if opts.InProcess != nil {
		shown = "in-process server"
	}
	type result struct {
		nc  *nats.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		nc, err := nats.Connect(url, natsOpts...)
		done <- result{nc, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("connect to nats at %s: %w", redactURL(shown), r.err)
		}
		return r.nc, nil
	case <-ctx.Done():
		go func() {
			if r := <-done; r.nc != nil {
				r.nc.Close()
			}
		}()
		return nil, fmt.Errorf("connect to nats at %s: %w", redactURL(shown), ctx.Err())
	}
}

func (opts ConnectOptions) natsOptions() ([]nats.Option, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	name := opts.Name
	if name == "" {
		name = "korelay"
	}
	o := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.CustomReconnectDelay(reconnectDelay),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if !nc.IsClosed() { // a deliberate Close is logged once, below
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			log.Info("nats connection closed", "err", nc.LastError())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			log.Warn("nats async error", "subject", subject, "err", err)
		}),
	}
	if opts.InProcess != nil {
		o = append(o, nats.InProcessServer(opts.InProcess))
	}
	if opts.CredsFile != "" {
		o = append(o, nats.UserCredentials(opts.CredsFile))
	}
	if opts.Token != "" {
		o = append(o, nats.Token(opts.Token))
	}
	if opts.User != "" || opts.Password != "" {
		o = append(o, nats.UserInfo(opts.User, opts.Password))
	}
	if opts.TLSCA != "" {
		o = append(o, nats.RootCAs(opts.TLSCA))
	}
	switch {
	case opts.TLSCert != "" && opts.TLSKey != "":
		o = append(o, nats.ClientCert(opts.TLSCert, opts.TLSKey))
	case opts.TLSCert != "" || opts.TLSKey != "":
		return nil, errors.New("connect to nats: TLS client cert and key must be set together")
	}
	return o, nil
}

// reconnectDelay is the wait before reconnect attempt n (counted from 1
// within one outage): exponential, capped, with jitter so that replicas do
// not reconnect in lockstep.
func reconnectDelay(attempts int) time.Duration {
	d := reconnectMax
	if attempts < 16 {
		d = min(reconnectBase<<max(attempts-1, 0), reconnectMax)
	}
	return d + rand.N(d/2+1)
}

// redactURL removes passwords and tokens from a comma-separated URL list.
func redactURL(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		if err != nil {
			if strings.Contains(p, "@") {
				parts[i] = "<unparsable url>"
			}
			continue
		}
		if u.User != nil {
			u.User = url.User("redacted")
		}
		parts[i] = u.String()
	}
	return strings.Join(parts, ",")
}

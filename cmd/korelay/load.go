package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/korelay/korelay/config"
	"github.com/korelay/korelay/kore"
)

// configFlag adds the -config flag every command accepts.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", config.DefaultFile, "configuration `file`")
}

// loadConfig loads the configuration and prints its warnings. A
// configuration that decoded but failed validation comes back as a
// nil Config and a *config.InvalidError, which carries the decoded one.
func loadConfig(file string, stderr io.Writer) (*config.Config, error) {
	cfg, err := config.Load(file)
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(stderr, "korelay: warning:", w)
	}
	return cfg, nil
}

// checkWebhookTrigger reports an -on / test-case trigger "webhook:NAME" whose
// NAME the configuration does not define: such an event can never arrive,
// and evaluating it would silently produce nothing.
func checkWebhookTrigger(cfg *config.Config, on string) error {
	name, ok := strings.CutPrefix(on, "webhook:")
	if !ok {
		return nil
	}
	if _, defined := cfg.Webhooks[name]; !defined {
		return fmt.Errorf("on %q: no webhook named %q in %s", on, name, cfg.File)
	}
	return nil
}

// koreClient builds the Kore client from the kore section; transport may
// be nil.
func koreClient(cfg *config.Config, transport http.RoundTripper) (*kore.Client, error) {
	if err := cfg.RequireKore(); err != nil {
		return nil, err
	}
	k := cfg.Kore
	opts := []kore.Option{
		kore.WithBaseURL(k.Host),
		kore.WithBotID(k.BotID),
		kore.WithEnforceJTI(k.EnforceJTI),
		kore.WithTimeout(k.Timeout), // the client's own bound; the http.Client gets none, or every call pays two
		kore.WithHTTPClient(&http.Client{Transport: transport}),
		kore.WithDevicePathPrefix(k.DevicePathPrefix),
		kore.WithUserAgent("korelay/" + versionString()),
	}
	if k.Token != "" {
		opts = append(opts, kore.WithToken(k.Token.Value()))
	} else {
		opts = append(opts, kore.WithCredentials(k.ClientID, k.ClientSecret.Value()))
	}
	if k.BotLanguage != "" {
		opts = append(opts, kore.WithBotLanguage(k.BotLanguage))
	}
	c, err := kore.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: kore: %w", cfg.File, err)
	}
	return c, nil
}

// newLogger builds korelay's logger from the log section and flags.
func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

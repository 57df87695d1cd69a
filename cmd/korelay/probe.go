package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// cmdProbe GETs a URL and succeeds on a 2xx answer: the health check of a
// container image that has no shell and no curl, e.g.
// HEALTHCHECK CMD ["/korelay", "probe", "http://127.0.0.1:8080/healthz"].
func cmdProbe(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlagSet("probe", stderr)
	fs.String("config", "", "ignored")
	timeout := fs.Duration("timeout", 2*time.Second, "give up when no answer came within this long")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError(fs, "want one URL, e.g. http://127.0.0.1:8080/healthz")
	}
	target := fs.Arg(0)
	if u, err := url.Parse(target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError(fs, "%q: want an http:// or https:// URL", target)
	}
	if *timeout <= 0 {
		return usageError(fs, "-timeout %s: must be positive", *timeout)
	}
	return probe(ctx, target, *timeout)
}

// probe GETs target within timeout; any answer but 2xx is an error.
func probe(ctx context.Context, target string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("probe %s: %w", target, err)
	}
	resp, err := probeClient().Do(req)
	var uerr *url.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("probe %s: no answer within %s", target, timeout)
	case errors.As(err, &uerr):
		return fmt.Errorf("probe %s: %w", target, uerr.Err)
	case err != nil:
		return fmt.Errorf("probe %s: %w", target, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("probe %s: answered %s", target, resp.Status)
	}
	return nil
}

// probeClient asks the target itself: no proxy from the environment, no
// kept connection, and a redirect is an answer (not a 2xx), not followed.
func probeClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

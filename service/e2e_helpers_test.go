package service

// The end-to-end harness: a real Service, started in-process from YAML
// configuration text, with embedded (or an in-process external) NATS and
// kore/koretest as Kore. Tests drive it from the outside (NATS publishes,
// webhook POSTs, cron) and assert on what the fake Kore received.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/config"
	"github.com/korelay/korelay/internal/syncbuf"
	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/kore/koretest"
	"github.com/korelay/korelay/metrics"
)

// e2eDeadline bounds every wait for something the service should do.
const e2eDeadline = 15 * time.Second

// e2eSpec describes one service under test. Zero fields take the defaults.
type e2eSpec struct {
	// Rules is the rule file's text (rules.yaml in the config folder).
	Rules string
	// Kore, NATS and HTTP are extra lines under those sections (unindented).
	Kore, NATS, HTTP string
	// Extra holds further top-level sections: webhooks, groups, datasets.
	Extra string
	// Files are written to the config folder before loading (datasets).
	Files map[string]string
	// Dir is the config folder; empty: a fresh temporary folder.
	Dir string
	// NATSURL is an external NATS server; empty starts the embedded one.
	NATSURL string
	// DataDir is nats.data_dir; empty: a fresh temporary folder.
	DataDir string
	// Watch is Options.WatchInterval; zero disables watching.
	Watch time.Duration
	// Fake is the fake Kore to use; nil starts one with KoreOptions.
	Fake        *koretest.Server
	KoreOptions []koretest.Option
	// Notifier replaces the Kore client (dry run).
	Notifier Notifier
	// DryRun runs the service as `korelay run -dry-run` (Options.DryRun);
	// set Notifier to a dry-run printer with it.
	DryRun bool
	// ShutdownTimeout is Options.ShutdownTimeout; zero means 2s.
	ShutdownTimeout time.Duration
	// Edit adjusts the parsed configuration before the service is built.
	Edit func(*config.Config)
	// ConfigFile, when set, is parsed instead of the generated YAML.
	ConfigFile string
	// LogLevel is the service's log level; zero means debug.
	LogLevel slog.Level
}

// e2e is one running service and its surroundings.
type e2e struct {
	t      testing.TB
	spec   e2eSpec
	dir    string
	cfg    *config.Config
	kore   *koretest.Server
	svc    *Service
	reg    *prometheus.Registry
	logs   *syncbuf.Buffer
	http   *http.Client
	cancel context.CancelFunc
	done   chan error
	once   sync.Once

	ncOnce sync.Once
	nc     *nats.Conn
	js     jetstream.JetStream
}

// startE2E builds a service from spec, runs it and waits until it is ready.
// It is stopped when the test ends.
func startE2E(t testing.TB, spec e2eSpec) *e2e {
	t.Helper()
	e := &e2e{t: t, spec: spec, logs: &syncbuf.Buffer{}, http: &http.Client{Timeout: 10 * time.Second}}
	e.kore = spec.Fake
	if e.kore == nil {
		e.kore = koretest.Start(t, spec.KoreOptions...)
	}
	e.dir = spec.Dir
	if e.dir == "" {
		e.dir = t.TempDir()
	}
	for name, text := range spec.Files {
		writeFile(t, filepath.Join(e.dir, name), text)
	}
	if spec.Rules != "" {
		writeFile(t, filepath.Join(e.dir, "rules.yaml"), spec.Rules)
	}
	e.cfg = e.loadConfig()
	e.reg = prometheus.NewRegistry()
	m := metrics.New(e.reg)
	notifier := spec.Notifier
	if notifier == nil {
		notifier = koreClientFor(t, e.cfg, m.InstrumentKore(kore.NewTransport()))
	}
	watch := spec.Watch
	if watch == 0 {
		watch = -1
	}
	shutdown := spec.ShutdownTimeout
	if shutdown == 0 {
		shutdown = 2 * time.Second
	}
	ready := make(chan struct{})
	svc, err := New(Options{
		Config: e.cfg, Notifier: notifier, Registry: e.reg, Metrics: m,
		Logger:        slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: logLevel(spec.LogLevel)})),
		WatchInterval: watch, ShutdownTimeout: shutdown, Ready: ready, DryRun: spec.DryRun,
		LoadConfig: e.reloadConfig,
	})
	if err != nil {
		t.Fatalf("service.New: %v", err)
	}
	e.svc = svc
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel, e.done = cancel, make(chan error, 1)
	go func() { e.done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		e.stop()
		if e.nc != nil {
			e.nc.Close()
		}
		if t.Failed() {
			t.Logf("service log:\n%s", e.logs.String())
		}
	})
	select {
	case <-ready:
	case err := <-e.done:
		e.done <- err
		t.Fatalf("service stopped before it was ready: %v", err)
	case <-time.After(e2eDeadline):
		t.Fatalf("service not ready after %s", e2eDeadline)
	}
	return e
}

// reloadConfig parses the configuration file again for a reload, as
// loadConfig did at start (same environment, same Edit).
func (e *e2e) reloadConfig() (*config.Config, error) {
	text, err := os.ReadFile(e.cfg.File)
	if err != nil {
		return nil, err
	}
	return e.parseConfig(e.cfg.File, text)
}

// parseConfig parses configuration text with an empty environment and
// applies the spec's Edit.
func (e *e2e) parseConfig(file string, text []byte) (*config.Config, error) {
	cfg, err := config.Parse(file, text, func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, err
	}
	if e.spec.Edit != nil {
		e.spec.Edit(cfg)
	}
	return cfg, nil
}

// loadConfig parses the spec's YAML (or ConfigFile) with an empty
// environment, as korelay run would.
func (e *e2e) loadConfig() *config.Config {
	e.t.Helper()
	file, text := e.spec.ConfigFile, []byte(nil)
	if file == "" {
		file = filepath.Join(e.dir, "korelay.yaml")
		text = []byte(e.configYAML())
		writeFile(e.t, file, string(text))
	} else {
		var err error
		if text, err = os.ReadFile(file); err != nil {
			e.t.Fatal(err)
		}
	}
	cfg, err := e.parseConfig(file, text)
	if err != nil {
		e.t.Fatalf("config.Parse:\n%v\n--- config ---\n%s", err, text)
	}
	return cfg
}

// configYAML is the configuration text for the spec: the fake Kore, NATS
// on a random port, HTTP on a random port, rules.yaml.
func (e *e2e) configYAML() string {
	dataDir := e.spec.DataDir
	if dataDir == "" {
		dataDir = e.t.TempDir()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "kore:\n  host: %s\n  bot_id: %s\n  client_id: %s\n  client_secret: %q\n  timeout: 5s\n",
		e.kore.URL, e.kore.BotID, e.kore.ClientID, e.kore.ClientSecret)
	b.WriteString(indent(e.spec.Kore))
	fmt.Fprintf(&b, "nats:\n  url: %q\n  listen: 127.0.0.1:-1\n  data_dir: %q\n", e.spec.NATSURL, dataDir)
	b.WriteString(indent(e.spec.NATS))
	b.WriteString("http:\n  listen: 127.0.0.1:0\n")
	b.WriteString(indent(e.spec.HTTP))
	b.WriteString("rules: [rules.yaml]\n")
	b.WriteString(e.spec.Extra)
	return b.String()
}

func indent(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ") + "\n"
}

// koreClientFor builds the Kore client from the kore section the way
// cmd/korelay does.
func koreClientFor(t testing.TB, cfg *config.Config, transport http.RoundTripper) *kore.Client {
	t.Helper()
	if err := cfg.RequireKore(); err != nil {
		t.Fatal(err)
	}
	k := cfg.Kore
	c, err := kore.New(
		kore.WithBaseURL(k.Host),
		kore.WithBotID(k.BotID),
		kore.WithEnforceJTI(k.EnforceJTI),
		kore.WithTimeout(k.Timeout), // the client's own bound; the http.Client gets none, or every call pays two
		kore.WithHTTPClient(&http.Client{Transport: transport}),
		kore.WithDevicePathPrefix(k.DevicePathPrefix),
		kore.WithCredentials(k.ClientID, k.ClientSecret.Value()),
	)
	if err != nil {
		t.Fatalf("kore client: %v", err)
	}
	return c
}

// stop cancels the service and waits for Run to return; it may be called
// more than once.
func (e *e2e) stop() {
	e.once.Do(func() {
		e.cancel()
		select {
		case err := <-e.done:
			if err != nil {
				e.t.Errorf("Run returned %v", err)
			}
		case <-time.After(e2eDeadline):
			e.t.Errorf("Run did not return within %s of cancel", e2eDeadline)
		}
	})
}

// crash stops the service the way kill -9 would, as far as the rest of
// the fleet can tell: its NATS connection drops at once (no ack, ledger
// write or budget lease gets out), queued notifications are abandoned, and
// only the calls already at Kore complete.
func (e *e2e) crash() {
	e.once.Do(func() {
		rt := e.svc.running.Load()
		if rt == nil {
			e.t.Fatal("crash: the service is not running")
		}
		rt.nc.Close()
		rt.stopSend()
		e.cancel()
		select {
		case <-e.done: // an error is expected: its connection is gone
		case <-time.After(e2eDeadline):
			e.t.Errorf("crashed service's Run did not return within %s", e2eDeadline)
		}
	})
}

// jetstream returns a JetStream client on the service's NATS.
func (e *e2e) jetstream() jetstream.JetStream {
	e.t.Helper()
	e.ncOnce.Do(func() {
		nc, err := nats.Connect(e.svc.NATSURL())
		if err != nil {
			e.t.Fatalf("connect to %s: %v", e.svc.NATSURL(), err)
		}
		e.nc = nc
		if e.js, err = jetstream.New(nc); err != nil {
			e.t.Fatal(err)
		}
	})
	return e.js
}

// publish stores one event on subject and waits for JetStream's ack.
func (e *e2e) publish(subject, payload string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := e.jetstream().Publish(ctx, subject, []byte(payload)); err != nil {
		e.t.Fatalf("publish %s: %v", subject, err)
	}
}

// publishAll stores the payloads on subject concurrently (async publish),
// then waits for every ack.
func (e *e2e) publishAll(subject string, payloads []string) {
	e.t.Helper()
	js := e.jetstream()
	var acks []jetstream.PubAckFuture
	for _, p := range payloads {
		// A busy machine slows the server's acks: wait for room rather
		// than fail after nats.go's default 200 ms stall.
		f, err := js.PublishAsync(subject, []byte(p), jetstream.WithStallWait(10*time.Second))
		if err != nil {
			e.t.Fatalf("publish %s: %v", subject, err)
		}
		acks = append(acks, f)
	}
	for _, f := range acks {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			e.t.Fatalf("publish %s: %v", subject, err)
		case <-time.After(10 * time.Second):
			e.t.Fatalf("publish %s: no ack", subject)
		}
	}
}

// streamMsgs is how many events the ingest stream holds.
func (e *e2e) streamMsgs() uint64 {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := e.jetstream().Stream(ctx, e.cfg.NATS.Stream)
	if err != nil {
		e.t.Fatalf("stream %s: %v", e.cfg.NATS.Stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return info.State.Msgs
}

// broker opens korelay's streams on the service's NATS the way `korelay
// dlq` does (broker.Open: nothing created or changed).
func (e *e2e) broker() *broker.Broker {
	e.t.Helper()
	e.jetstream()
	b, err := broker.Open(context.Background(), e.nc, broker.Options{Stream: e.cfg.NATS.Stream})
	if err != nil {
		e.t.Fatalf("broker.Open: %v", err)
	}
	return b
}

// waitDeadLetters waits for n dead letters of rule and returns them.
func waitDeadLetters(t *testing.T, e *e2e, rule string, n int) []broker.DeadLetter {
	t.Helper()
	b := e.broker()
	var dls []broker.DeadLetter
	eventually(t, e2eDeadline, func() bool {
		var err error
		dls, err = b.DeadLetters(context.Background(), broker.DLQFilter{Rule: rule})
		return err == nil && len(dls) >= n
	}, func() string {
		return fmt.Sprintf("%d of %d dead letters of %s\n%s", len(dls), n, rule, e.logs.String())
	})
	return dls
}

// url is the service's address for path.
func (e *e2e) url(path string) string { return "http://" + e.svc.HTTPAddr() + path }

// do sends one HTTP request to the service and returns status and body.
func (e *e2e) do(method, path, body string, header http.Header) (int, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url(path), strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, string(b)
}

// metrics returns the /metrics page.
func (e *e2e) metrics() string {
	e.t.Helper()
	code, body := e.do(http.MethodGet, "/metrics", "", nil)
	if code != http.StatusOK {
		e.t.Fatalf("GET /metrics: %d %s", code, body)
	}
	return body
}

// metric returns the value of the sample name{labels} on the /metrics page,
// where labels lists name="value" pairs the sample must carry (any order,
// others allowed); ok is false when no such sample exists.
func (e *e2e) metric(name string, labels ...string) (float64, bool) {
	return metricValue(e.metrics(), name, labels...)
}

// waitMetric waits until name{labels} reads want: a counter may follow
// what the test waited for (a dead letter is counted once stored).
func (e *e2e) waitMetric(name string, want float64, labels ...string) {
	e.t.Helper()
	var got float64
	eventually(e.t, e2eDeadline, func() bool {
		got, _ = e.metric(name, labels...)
		return got == want
	}, func() string { return fmt.Sprintf("%s%v = %v, want %v", name, labels, got, want) })
}

func metricValue(page, name string, labels ...string) (float64, bool) {
	for line := range strings.SplitSeq(page, "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		sample, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		n, lbl, _ := strings.Cut(sample, "{")
		if n != name || !hasLabels(lbl, labels) {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		return v, err == nil
	}
	return 0, false
}

func hasLabels(lbl string, want []string) bool {
	have := strings.Split(strings.TrimSuffix(lbl, "}"), ",")
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// notifyCalls returns the accepted notify calls the fake received.
func (e *e2e) notifyCalls() []koretest.Call { return e.kore.NotifyCalls() }

// waitCalls waits until the fake has accepted at least n notify calls.
func (e *e2e) waitCalls(n int) []koretest.Call {
	e.t.Helper()
	eventually(e.t, e2eDeadline, func() bool { return len(e.notifyCalls()) >= n },
		func() string { return fmt.Sprintf("want ≥ %d notify calls, got %d", n, len(e.notifyCalls())) })
	return e.notifyCalls()
}

// eventually polls cond every 10ms until it holds or d passes; then it fails
// the test with what() describing the last state.
func eventually(t testing.TB, d time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// identitiesOf returns every identity of calls, in order.
func identitiesOf(calls []koretest.Call) []string {
	var ids []string
	for _, c := range calls {
		ids = append(ids, c.Notify.Identities...)
	}
	return ids
}

// countIdentities counts how often each identity was notified.
func countIdentities(calls []koretest.Call) map[string]int {
	n := map[string]int{}
	for _, id := range identitiesOf(calls) {
		n[id]++
	}
	return n
}

// decodeBody decodes a call's raw body as generic JSON, numbers kept exact.
func decodeBody(t testing.TB, body []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("notify body %s: %v", body, err)
	}
	return m
}

func writeFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// logLevel is the spec's log level, debug when unset.
func logLevel(l slog.Level) slog.Level {
	if l == 0 {
		return slog.LevelDebug
	}
	return l
}

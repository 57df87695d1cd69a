package service

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/adapters/dryrun"
	"github.com/korelay/korelay/config"
	"github.com/korelay/korelay/internal/syncbuf"
	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/kore/koretest"
)

// After some traffic (a webhook sent, a NATS event dead-lettered) /metrics
// carries every metric DESIGN.md's Observability section names, with the
// counts of that traffic; /healthz and /readyz answer 200 while running.
func TestE2EMetricsAndHealth(t *testing.T) {
	t.Parallel()
	e := startE2E(t, e2eSpec{
		Extra: "webhooks:\n  shop:\n    auth: {type: bearer, secret: tok}\n",
		Rules: `
rules:
  - name: shop
    on: {webhook: shop}
    notify: {channel: slack, to: event.email, text: "shop"}
  - name: alert
    on: {nats: alerts}
    notify: {channel: msteams, to: event.email, text: "alert"}
`,
	})
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := e.do("GET", path, "", nil); code != http.StatusOK {
			t.Errorf("GET %s = %d %s, want 200", path, code, body)
		}
	}

	code, resp := e.do("POST", "/hooks/shop", `{"email": "ann@example.com"}`, bearer("tok"))
	acceptedID(t, "webhook", code, resp)
	e.waitCalls(1)
	e.kore.FailNext(1, koretest.Failure{Endpoint: kore.EndpointNotify, Status: 400})
	e.publish("alerts", `{"email": "bob@example.com"}`)
	eventually(t, e2eDeadline, func() bool {
		_, ok := e.metric("korelay_dead_letters_total", `rule="alert"`, `reason="permanent"`)
		return ok
	}, func() string { return "the 400 was not dead-lettered" })

	page := e.metrics()
	for _, name := range []string{
		"korelay_events_total", "korelay_rule_matches_total", "korelay_notifications_total",
		"korelay_kore_requests_total", "korelay_kore_request_duration_seconds",
		"korelay_dead_letters_total", "korelay_config_last_reload_successful",
	} {
		if !strings.Contains(page, "# TYPE "+name+" ") {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	for _, s := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"korelay_events_total", []string{`source="webhook"`, `outcome="accepted"`}, 1},
		{"korelay_events_total", []string{`source="webhook"`, `outcome="matched"`}, 1},
		{"korelay_events_total", []string{`source="nats"`, `outcome="matched"`}, 1},
		{"korelay_rule_matches_total", []string{`rule="shop"`}, 1},
		{"korelay_rule_matches_total", []string{`rule="alert"`}, 1},
		{"korelay_notifications_total", []string{`rule="shop"`, `channel="slack"`, `outcome="sent"`}, 1},
		{"korelay_notifications_total", []string{`rule="alert"`, `channel="msteams"`, `outcome="dead_lettered"`}, 1},
		{"korelay_kore_requests_total", []string{`endpoint="notify"`, `code="400"`}, 1},
		{"korelay_kore_request_duration_seconds_count", []string{`endpoint="notify"`}, 2},
		{"korelay_dead_letters_total", []string{`rule="alert"`, `reason="permanent"`}, 1},
		{"korelay_config_last_reload_successful", nil, 1},
	} {
		if got, ok := metricValue(page, s.name, s.labels...); !ok || got != s.want {
			t.Errorf("%s{%s} = %v (present %v), want %v", s.name, strings.Join(s.labels, ","), got, ok, s.want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", page)
	}
}

// config.example.yaml loads as shipped, and the service runs from it in
// dry-run mode (only the listen addresses and data_dir changed): a webhook
// to /hooks/orders with the example token prints the notification.
func TestE2EExampleConfigRunsInDryRun(t *testing.T) {
	t.Parallel()
	file := filepath.Join("..", "config.example.yaml")
	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(file, text, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("config.example.yaml: %v", err)
	}
	// The example's own rules load too (a broken example fails here).
	out := &syncbuf.Buffer{}
	e := startE2E(t, e2eSpec{
		ConfigFile: file,
		Notifier:   dryrun.New(out),
		Edit: func(c *config.Config) {
			c.HTTP.Listen, c.NATS.Listen, c.NATS.DataDir = "127.0.0.1:0", "127.0.0.1:-1", t.TempDir()
		},
	})
	if n := len(e.svc.Rules().Rules()); n == 0 || len(cfg.Webhooks) == 0 {
		t.Fatalf("the example loaded %d rules and %d webhooks", n, len(cfg.Webhooks))
	}

	body := `{"id": 1234567890123456789, "status": "shipped", "customer": {"name": "Ann", "email": "ann@example.com"}}`
	code, resp := e.do("POST", "/hooks/orders", body, bearer("change-me"))
	acceptedID(t, "POST /hooks/orders", code, resp)
	want := map[string]any{
		"endpoint": "notify", "channel": "slack",
		"message":    map[string]any{"type": "text", "val": "Hi Ann, order 1234567890123456789 has shipped."},
		"identities": []any{"ann@example.com"},
	}
	wantJSON, _ := json.Marshal(want)
	eventually(t, e2eDeadline, func() bool {
		sc := bufio.NewScanner(strings.NewReader(out.String()))
		for sc.Scan() {
			var got map[string]any
			if json.Unmarshal(sc.Bytes(), &got) == nil {
				if b, _ := json.Marshal(got); string(b) == string(wantJSON) {
					return true
				}
			}
		}
		return false
	}, func() string { return "dry-run output:\n" + out.String() + "\nwant a line " + string(wantJSON) })
}

// korelay_budget_used and korelay_budget_limit report the Kore budget in
// use: the limits from kore.budget and, after some calls, at least those
// calls (the shared budget counts what replicas leased, the local one
// exactly what was called).
func TestE2EBudgetMetrics(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		nats  string
		exact bool
	}{
		{name: "shared budget (JetStream)"},
		{name: "local budget (core NATS)", nats: "jetstream: false", exact: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := startE2E(t, e2eSpec{NATS: tc.nats, Rules: personalRules, Kore: "budget: {per_minute: 120, per_hour: 5000}"})
			nc, err := nats.Connect(e.svc.NATSURL())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			const events = 4
			for _, p := range personalPayloads(events) {
				if err := nc.Publish("people.all", []byte(p)); err != nil {
					t.Fatal(err)
				}
			}
			if err := nc.Flush(); err != nil {
				t.Fatal(err)
			}
			calls := len(e.waitCalls(events))
			page := e.metrics()
			for window, limit := range map[string]float64{"minute": 120, "hour": 5000} {
				if v, ok := metricValue(page, "korelay_budget_limit", `window="`+window+`"`); !ok || v != limit {
					t.Errorf(`korelay_budget_limit{window=%q} = %v (found: %v), want %v`, window, v, ok, limit)
				}
				v, ok := metricValue(page, "korelay_budget_used", `window="`+window+`"`)
				switch {
				case !ok:
					t.Errorf(`/metrics lacks korelay_budget_used{window=%q}`, window)
				case tc.exact && v != float64(calls), !tc.exact && v < float64(calls):
					t.Errorf(`korelay_budget_used{window=%q} = %v after %d calls (exact: %v)`, window, v, calls, tc.exact)
				}
			}
		})
	}
}

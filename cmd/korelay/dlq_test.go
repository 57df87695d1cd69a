package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/broker"
)

// openStore starts an embedded NATS server on the JetStream store in
// dataDir and connects to it. Call stop before a korelay command opens
// the same store.
func openStore(t *testing.T, dataDir string) (nc *nats.Conn, stop func()) {
	t.Helper()
	srv, err := broker.StartEmbedded(broker.EmbeddedOptions{Port: -1, StoreDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	nc, err = nats.Connect(srv.ClientURL())
	if err != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
		t.Fatal(err)
	}
	return nc, func() {
		nc.Close()
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// withStore runs fn on a korelay store in dataDir, as `korelay run` left
// it: the ingest stream capturing orders.>, and the dead-letter stream.
func withStore(t *testing.T, dataDir string, fn func(b *broker.Broker)) {
	t.Helper()
	nc, stop := openStore(t, dataDir)
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := broker.New(ctx, nc, broker.Options{Subjects: []string{"orders.>"}})
	if err != nil {
		t.Fatal(err)
	}
	fn(b)
}

// `korelay dlq` reaches the store whatever the rule files say, and leaves
// the running service's ingest stream as it is: it neither needs the rules
// (a broken rule file is what one fixes before a replay) nor rewrites the
// stream's subjects from them.
func TestDLQLeavesStreamAloneAndIgnoresRules(t *testing.T) {
	for _, tt := range []struct{ name, rules string }{
		{"broken rule file", "rules:\n  - name: x\n    on: {nats: \"a.>\"}\n    when: event.a ==\n    notify: {channel: slack, to: event.e, text: t}\n"},
		{"rules on other subjects", "rules:\n  - name: x\n    on: {nats: \"other.>\"}\n    notify: {channel: slack, to: event.e, text: t}\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			dataDir := filepath.Join(dir, "data")
			withStore(t, dataDir, func(b *broker.Broker) {
				err := b.DeadLetter(context.Background(), broker.DeadLetter{
					EventID: "korelay-1", Rule: "x", Reason: "permanent", Error: "400",
					Subject: "orders.eu.created", Data: []byte(`{"id": 1}`),
				})
				if err != nil {
					t.Fatal(err)
				}
			})
			if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(tt.rules), 0o600); err != nil {
				t.Fatal(err)
			}
			// Nothing listens on port 1: dlq opens data_dir itself.
			cfg := "rules: [./rules.yaml]\nnats:\n  listen: 127.0.0.1:1\n  data_dir: ./data\n"
			file := filepath.Join(dir, "korelay.yaml")
			if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := korelay(t, "dlq", "list", "-config", file)
			if code != 0 || !strings.Contains(stdout, "korelay-1") {
				t.Fatalf("dlq list: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
			}
			code, stdout, stderr = korelay(t, "dlq", "replay", "-config", file)
			if code != 0 || !strings.Contains(stdout, "replayed 1 event\n") {
				t.Fatalf("dlq replay: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
			}
			nc, stop := openStore(t, dataDir)
			defer stop()
			js, _ := nc.JetStream()
			info, err := js.StreamInfo(broker.DefaultStream)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(info.Config.Subjects, "orders.>") || slices.Contains(info.Config.Subjects, "other.>") {
				t.Errorf("after dlq the ingest stream captures %v, want it unchanged (orders.>)", info.Config.Subjects)
			}
			if info.State.Msgs != 1 {
				t.Errorf("ingest stream holds %d events after the replay, want 1", info.State.Msgs)
			}
		})
	}
}

// On a NATS where korelay never ran there is nothing to list.
func TestDLQOnEmptyStore(t *testing.T) {
	dir := t.TempDir()
	file := writeConfig(t, nil, "nats:\n  listen: 127.0.0.1:1\n  data_dir: "+filepath.Join(dir, "data")+"\n")
	code, stdout, stderr := korelay(t, "dlq", "list", "-config", file)
	if code != 0 || !strings.Contains(stdout, "no dead letters") {
		t.Fatalf("exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
}

// seedDLQ writes dead letters into a korelay store under a new folder and
// returns a configuration whose dlq commands open that store themselves.
func seedDLQ(t *testing.T, letters ...broker.DeadLetter) (configFile string) {
	t.Helper()
	dir := t.TempDir()
	withStore(t, filepath.Join(dir, "data"), func(b *broker.Broker) {
		for _, d := range letters {
			if err := b.DeadLetter(context.Background(), d); err != nil {
				t.Fatal(err)
			}
		}
	})
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(testRules), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "korelay.yaml")
	cfg := "rules: [./rules.yaml]\nwebhooks:\n  orders:\n    auth: {type: none}\nnats:\n  listen: 127.0.0.1:1\n  data_dir: ./data\n"
	if err := os.WriteFile(file, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// testLetters are three dead letters of two events: korelay-1 failed for two
// rules (a JSON webhook body), korelay-2 before any rule (a text body).
func testLetters() []broker.DeadLetter {
	hdr := nats.Header{"Content-Type": {"application/json"}, "Trace": {"t-1"}}
	return []broker.DeadLetter{
		{EventID: "korelay-1", Rule: "order-shipped", Reason: "permanent", Error: "kore notify: 400",
			Response: `{"errors":[{"msg":"channel not enabled"}]}`, Channel: "slack", MessageType: "text",
			Message: "Order 1 shipped.", Identities: []string{"ann@example.com", "bob@example.com"}, Attempts: 1,
			Subject: "korelay.webhook.orders", Header: hdr, Data: []byte(`{"id":1,"status":"shipped"}`)},
		{EventID: "korelay-1", Rule: "order-audit", Reason: "render", Error: "missing key", Attempts: 1,
			Subject: "korelay.webhook.orders", Header: hdr, Data: []byte(`{"id":1,"status":"shipped"}`)},
		{EventID: "korelay-2", Reason: "decode", Error: "not a JSON object", Attempts: 1,
			Subject: "korelay.webhook.orders", Data: []byte("plain text body")},
	}
}

func TestDLQListSelectsByEventAndRule(t *testing.T) {
	file := seedDLQ(t, testLetters()...)
	tests := []struct {
		name      string
		args      []string
		want, not []string
	}{
		{"all", nil, []string{"EVENT", "korelay-1  ", "order-audit", "korelay-2"}, nil},
		{"by event", []string{"-id", "korelay-2"}, []string{"korelay-2", "decode"}, []string{"korelay-1"}},
		{"by event and rule", []string{"-id", "korelay-1", "-rule", "order-audit"}, []string{"order-audit"}, []string{"order-shipped", "korelay-2"}},
		{"no rule", []string{"-rule", "_event"}, []string{"korelay-2"}, []string{"korelay-1"}},
		{"nothing", []string{"-id", "korelay-9"}, []string{"no dead letters of event korelay-9"}, []string{"EVENT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := korelay(t, append([]string{"dlq", "list", "-config", file}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(stdout, n) {
					t.Errorf("stdout has %q:\n%s", n, stdout)
				}
			}
		})
	}
}

func TestDLQListJSON(t *testing.T) {
	file := seedDLQ(t, testLetters()...)
	code, stdout, stderr := korelay(t, "dlq", "list", "-json", "-config", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3 (one per dead letter):\n%s", len(lines), stdout)
	}
	var first dlqSummary
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if first.EventID != "korelay-1" || first.Rule != "order-shipped" || len(first.Identities) != 2 || first.Time.IsZero() {
		t.Errorf("first line = %+v", first)
	}
}

func TestDLQShow(t *testing.T) {
	file := seedDLQ(t, testLetters()...)
	code, stdout, stderr := korelay(t, "dlq", "show", "-id", "korelay-1", "-rule", "order-shipped", "-config", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, w := range []string{
		"event:      korelay-1", "rule:       order-shipped", "reason:     permanent", "error:      kore notify: 400",
		"attempts:   1", "identities: 2 identities: ann@example.com, bob@example.com",
		`response:   {"errors":[{"msg":"channel not enabled"}]}`, "message:    text: Order 1 shipped.",
		"  Content-Type: application/json", "  Trace: t-1", "  {\n    \"id\": 1,\n    \"status\": \"shipped\"\n  }",
	} {
		if !strings.Contains(stdout, w) {
			t.Errorf("show lacks %q:\n%s", w, stdout)
		}
	}
	code, stdout, _ = korelay(t, "dlq", "show", "-id", "korelay-2", "-config", file)
	if code != 0 || !strings.Contains(stdout, "payload:\n  plain text body") || !strings.Contains(stdout, "failed before any rule") {
		t.Errorf("show of a text body: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = korelay(t, "dlq", "show", "-json", "-id", "korelay-1", "-config", file)
	var d struct {
		dlqSummary
		Payload map[string]any      `json:"payload"`
		Headers map[string][]string `json:"headers"`
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) != 2 || json.Unmarshal([]byte(lines[0]), &d) != nil ||
		d.Payload["status"] != "shipped" || d.Headers["Trace"][0] != "t-1" {
		t.Errorf("show -json: exit %d, %+v\n%s", code, d, stdout)
	}
	code, _, stderr = korelay(t, "dlq", "show", "-id", "korelay-9", "-config", file)
	if code != 1 || !strings.Contains(stderr, "no dead letters of event korelay-9") {
		t.Errorf("show of an unknown event: exit %d, stderr %q", code, stderr)
	}
}

func TestDLQDrop(t *testing.T) {
	file := seedDLQ(t, testLetters()...)
	steps := []struct {
		args   []string
		code   int
		output string // on stdout, or stderr for a failure
		left   int
	}{
		{nil, 2, "refusing to drop every dead letter", 3},
		{[]string{"-all", "-id", "korelay-1"}, 2, "does not combine", 3},
		{[]string{"-id", "korelay-9"}, 1, "no dead letters of event korelay-9", 3},
		{[]string{"-id", "korelay-1", "-rule", "order-audit"}, 0, "dropped 1 dead letter\n", 2},
		{[]string{"-id", "korelay-1"}, 0, "dropped 1 dead letter\n", 1},
		{[]string{"-all"}, 0, "dropped 1 dead letter\n", 0},
	}
	for _, s := range steps {
		code, stdout, stderr := korelay(t, append([]string{"dlq", "drop", "-config", file}, s.args...)...)
		out := stdout
		if s.code != 0 {
			out = stderr
		}
		if code != s.code || !strings.Contains(out, s.output) {
			t.Fatalf("drop %v: exit %d\nstdout %q\nstderr %q\nwant exit %d with %q", s.args, code, stdout, stderr, s.code, s.output)
		}
		_, stdout, _ = korelay(t, "dlq", "list", "-json", "-config", file)
		if n := strings.Count(stdout, "\n"); n != s.left {
			t.Fatalf("after drop %v: %d dead letters left, want %d", s.args, n, s.left)
		}
	}
}

func TestDLQReplayByEvent(t *testing.T) {
	file := seedDLQ(t, testLetters()...)
	code, stdout, stderr := korelay(t, "dlq", "replay", "-id", "korelay-1", "-config", file)
	if code != 0 || stdout != "replayed 1 event\n" {
		t.Fatalf("replay: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	_, stdout, _ = korelay(t, "dlq", "list", "-config", file)
	if strings.Contains(stdout, "korelay-1") || !strings.Contains(stdout, "korelay-2") {
		t.Errorf("after replaying korelay-1:\n%s", stdout)
	}
	code, _, stderr = korelay(t, "dlq", "replay", "-id", "korelay-1", "-config", file)
	if code != 1 || !strings.Contains(stderr, "no dead letters of event korelay-1") {
		t.Errorf("second replay: exit %d, stderr %q", code, stderr)
	}
}

func TestDLQUsage(t *testing.T) {
	for _, args := range [][]string{
		{"dlq"},
		{"dlq", "purge"},
		{"dlq", "list", "korelay-1"},
		{"dlq", "replay", "-json"},
		{"dlq", "list", "-all"},
	} {
		if code, _, _ := korelay(t, append(args, "-config", "/nonexistent.yaml")...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/broker"
)

// withStore runs fn on a korelay store in dataDir, as `korelay run` left
// it: the ingest stream capturing orders.>, and the dead-letter stream.
func withStore(t *testing.T, dataDir string, fn func(b *broker.Broker)) {
	t.Helper()
	srv, err := broker.StartEmbedded(broker.EmbeddedOptions{Port: -1, StoreDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
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
			if code != 0 || !strings.Contains(stdout, "replayed 1 events") {
				t.Fatalf("dlq replay: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
			}
			srv, err := broker.StartEmbedded(broker.EmbeddedOptions{Port: -1, StoreDir: dataDir})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
			nc, err := nats.Connect(srv.ClientURL())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
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

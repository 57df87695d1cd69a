package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/journal"
)

// seedJournal writes the story of event korelay-7 into a store under a new
// folder, as a korelay run would have: evaluated (one rule matched, one
// when false, one render error), a 429 then an accepted call, the
// outcome, and the render error's dead letter. It returns a configuration
// whose explain opens that store itself.
func seedJournal(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t0 := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	d := &journal.Delivery{Seq: 7, Attempt: 1}
	recs := []journal.Record{
		{Kind: journal.KindEvaluated, EventID: "korelay-7", Time: t0, Delivery: d,
			Trigger: &journal.Trigger{Source: "webhook", Name: "orders", Subject: "korelay.webhook.orders",
				Received: t0, Size: 31, Preview: `{"id": 7, "status": "shipped"}`},
			Rules: []journal.RuleResult{
				{Rule: "shipped", Result: journal.ResultMatched, Notifications: 1},
				{Rule: "pending", Result: journal.ResultWhenFalse},
				{Rule: "broken", Result: journal.ResultRenderError, Error: "rule broken: missing key .event.customer"},
			},
			Notifications: []journal.Notification{{Rule: "shipped", Channel: "slack", Identities: 1,
				Sample: []string{"ann@example.com"}, DedupKey: "event:korelay-7"}}},
		{Kind: journal.KindCall, EventID: "korelay-7", Time: t0.Add(10 * time.Millisecond), Call: &journal.Call{
			Seq: 1, Rule: "shipped", Channel: "slack", Attempt: 1, Identities: 1, CallIdentities: 1, Code: 429,
			Result: journal.CallRetry, RetryAfter: 2 * time.Second, Error: "kore notify: 429 Too Many Requests"}},
		{Kind: journal.KindCall, EventID: "korelay-7", Time: t0.Add(2 * time.Second), Call: &journal.Call{
			Seq: 2, Rule: "shipped", Channel: "slack", Attempt: 2, Identities: 1, CallIdentities: 1,
			Result: journal.CallAccepted, JobID: "ds-42"}},
		{Kind: journal.KindSettled, EventID: "korelay-7", Time: t0.Add(2 * time.Second), Delivery: d,
			Outcomes: []journal.Outcome{{Notification: 0, Rule: "shipped", Channel: "slack", Status: journal.StatusSent,
				Identities: 1, JobID: "ds-42", Attempts: 2, DedupKey: "event:korelay-7"}}},
	}
	withStore(t, filepath.Join(dir, "data"), func(b *broker.Broker) {
		ctx := context.Background()
		if err := b.DeadLetter(ctx, broker.DeadLetter{EventID: "korelay-7", Rule: "broken", Reason: "render",
			Error: "rule broken: missing key .event.customer", Subject: "korelay.webhook.orders"}); err != nil {
			t.Fatal(err)
		}
	})
	writeJournal(t, filepath.Join(dir, "data"), recs)
	return writeStoreConfig(t, dir)
}

// writeJournal writes recs to the journal stream of the store in dataDir.
func writeJournal(t *testing.T, dataDir string, recs []journal.Record) {
	t.Helper()
	nc, stop := openStore(t, dataDir)
	defer stop()
	js, _ := jetstream.New(nc)
	if _, err := journal.EnsureStream(context.Background(), js, journal.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	sink, err := journal.NewStreamSink(nc, func(int) { t.Error("journal write failed") })
	if err != nil {
		t.Fatal(err)
	}
	w := journal.NewWriter(journal.WriterOptions{Sink: sink})
	w.Start()
	for i := range recs {
		w.Write(&recs[i], nil)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func writeFileIn(t *testing.T, dir, name, text string) string {
	t.Helper()
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func writeStoreConfig(t *testing.T, dir string) string {
	t.Helper()
	// Nothing listens on port 1: explain opens data_dir itself.
	return writeFileIn(t, dir, "korelay.yaml", "rules: [./rules.yaml]\nnats:\n  listen: 127.0.0.1:1\n  data_dir: ./data\n")
}

func TestExplainTellsTheStory(t *testing.T) {
	file := seedJournal(t)
	code, stdout, stderr := korelay(t, "explain", "-config", file, "korelay-7")
	if code != 0 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	for _, want := range []string{
		"event korelay-7: dead-lettered",
		"trigger   webhook orders (subject korelay.webhook.orders)",
		"received  2027-03-01T09:00:00.000Z",
		`payload   31 bytes: {"id": 7, "status": "shipped"}`,
		"delivery 1, evaluated 2027-03-01T09:00:00.000Z",
		"shipped  matched, 1 notification",
		"pending  when false",
		"broken   render error: rule broken: missing key .event.customer",
		"#1 shipped  slack  1 identity (ann@example.com)  key event:korelay-7",
		"sent  job ds-42  2 attempts",
		"attempt 1  1 identity  0s  429 will retry (Retry-After 2s): kore notify: 429 Too Many Requests",
		"attempt 2  1 identity  0s  accepted, job ds-42",
		"dead letters (stored now)",
		"broken  render  0 identities",
		"korelay dlq replay -id korelay-7",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain lacks %q:\n%s", want, stdout)
		}
	}

	code, stdout, stderr = korelay(t, "explain", "-config", file, "korelay-7", "-json")
	var st journal.Story
	if code != 0 || json.Unmarshal([]byte(stdout), &st) != nil {
		t.Fatalf("-json: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	if st.Outcome != journal.OutcomeDeadLettered || len(st.Calls) != 2 || st.Calls[1].JobID != "ds-42" ||
		len(st.DeadLetters) != 1 || st.Evaluations[0].Outcomes[0].Status != journal.StatusSent {
		t.Errorf("-json story = %s", stdout)
	}
}

func TestExplainUnknownEventAndUsage(t *testing.T) {
	file := seedJournal(t)
	code, _, stderr := korelay(t, "explain", "-config", file, "korelay-8")
	if code != 1 || !strings.Contains(stderr, "event korelay-8: no journal record and no dead letter") {
		t.Errorf("unknown event: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := korelay(t, "explain", "-config", file); code != 2 || !strings.Contains(stderr, "name one event id") {
		t.Errorf("no id: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := korelay(t, "explain", "-config", file, "dryrun-7Xy"); code != 1 ||
		!strings.Contains(stderr, "a dry run's") || !strings.Contains(stderr, "/events/dryrun-7Xy") {
		t.Errorf("a dry run's event: exit %d, stderr %q; want a pointer to the dry run's status page", code, stderr)
	}
	core := writeFileIn(t, t.TempDir(), "korelay.yaml", "rules: [./r.yaml]\nnats:\n  jetstream: false\n")
	if code, _, stderr := korelay(t, "explain", "-config", core, "core-1"); code != 1 || !strings.Contains(stderr, "core NATS keeps no journal") {
		t.Errorf("core NATS: exit %d, stderr %q", code, stderr)
	}
}

// On a store where korelay ran without a journal, explain still tells
// what the dead-letter stream knows.
func TestExplainWithoutJournal(t *testing.T) {
	dir := t.TempDir()
	withStore(t, filepath.Join(dir, "data"), func(b *broker.Broker) {
		if err := b.DeadLetter(context.Background(), broker.DeadLetter{EventID: "korelay-3", Rule: "r",
			Reason: "permanent", Error: "400", Identities: []string{"a@example.com"}}); err != nil {
			t.Fatal(err)
		}
	})
	code, stdout, stderr := korelay(t, "explain", "-config", writeStoreConfig(t, dir), "korelay-3")
	if code != 0 || !strings.Contains(stdout, "event korelay-3: dead-lettered") ||
		!strings.Contains(stdout, "not in the journal") || !strings.Contains(stdout, "r  permanent  1 identity (a@example.com)") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
}

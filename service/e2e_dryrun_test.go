package service

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/korelay/korelay/adapters/dryrun"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/internal/syncbuf"
)

// dryRunRules notify on a webhook (with a dedup key, so a ledger entry
// would suppress a later live send), on NATS, and every second by cron.
const dryRunRules = `
rules:
  - name: shipped
    on: {webhook: orders}
    notify: {channel: slack, to: event.email, text: "order {{ .event.id }} shipped"}
    dedup: {key: "{{ .event.id }}", for: 1h}
  - name: ping
    on: {nats: "pings.>"}
    notify: {channel: slack, to: event.email, text: "ping {{ .event.n }}"}
  - name: tick
    on: {cron: "@every 1s"}
    notify: {channel: slack, groups: [team], text: "tick"}
`

const dryRunExtra = `
webhooks:
  orders:
    auth: {type: bearer, secret: ` + e2eBearerToken + `}
groups:
  team: [team@example.com]
`

// dryRunSpec is a dry-run instance printing to out.
func dryRunSpec(out *syncbuf.Buffer) e2eSpec {
	return e2eSpec{Rules: dryRunRules, Extra: dryRunExtra, DryRun: true, Notifier: dryrun.New(out)}
}

// A dry run changes nothing shared: after `run -dry-run` on a data_dir, a
// live run on the same data_dir sends what the dry run only printed (no
// ledger entry suppresses it), finds no cron fire or webhook event of the
// dry run in its stream, and the dry run counted its notifications as
// dry_run, never sent.
func TestE2EDryRunLeavesNoTraces(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	out := &syncbuf.Buffer{}
	spec := dryRunSpec(out)
	spec.DataDir = dataDir
	dry := startE2E(t, spec)
	code, body := dry.do(http.MethodPost, "/hooks/orders", `{"id": 42, "email": "ann@example.com"}`, bearer(e2eBearerToken))
	id := acceptedID(t, "dry-run webhook", code, body)
	if !strings.HasPrefix(id, broker.DryRunEventPrefix) {
		t.Errorf("dry-run event id %q, want a %q id (not stored in the stream)", id, broker.DryRunEventPrefix)
	}
	eventually(t, e2eDeadline, func() bool {
		return strings.Contains(out.String(), `"order 42 shipped"`) && strings.Contains(out.String(), `"tick"`)
	}, func() string { return "dry-run output so far:\n" + out.String() })
	if v, _ := dry.metric("korelay_notifications_total", `rule="shipped"`, `outcome="dry_run"`); v != 1 {
		t.Errorf(`dry run: korelay_notifications_total{rule="shipped",outcome="dry_run"} = %v, want 1`, v)
	}
	if v, ok := dry.metric("korelay_notifications_total", `outcome="sent"`); ok {
		t.Errorf(`dry run counted %v notifications as sent`, v)
	}
	if n := len(dry.kore.Calls()); n != 0 {
		t.Errorf("the dry run called Kore %d times", n)
	}
	dry.stop()
	checkNothingStored(t, dataDir)

	live := startE2E(t, e2eSpec{Rules: dryRunRules, Extra: dryRunExtra, DataDir: dataDir})
	code, body = live.do(http.MethodPost, "/hooks/orders", `{"id": 42, "email": "ann@example.com"}`, bearer(e2eBearerToken))
	acceptedID(t, "live webhook", code, body)
	eventually(t, e2eDeadline, func() bool {
		for _, c := range live.notifyCalls() {
			if c.Notify.Message.Val == "order 42 shipped" {
				return true
			}
		}
		return false
	}, func() string {
		return "order 42 was not sent by the live instance (suppressed by the dry run's ledger?)\n" + live.logs.String()
	})
	if v, _ := live.metric("korelay_notifications_total", `rule="shipped"`, `outcome="duplicate"`); v != 0 {
		t.Errorf("live instance suppressed %v notifications as duplicates", v)
	}
}

// checkNothingStored opens a data_dir's JetStream store and fails the test
// if it holds an event stream with events, a ledger key or a dead letter.
func checkNothingStored(t *testing.T, dataDir string) {
	t.Helper()
	srv, err := broker.StartEmbedded(broker.EmbeddedOptions{Port: -1, StoreDir: dataDir, ServerName: "inspect"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for name := range js.StreamNames(ctx).Name() {
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if n := s.CachedInfo().State.Msgs; n > 0 {
			t.Errorf("the dry run left %d messages in stream %s", n, name)
		}
	}
}

// A dry run beside a live instance on one NATS takes no event from it:
// every event reaches Kore through the live instance, the dry run prints
// the same events (it observes them), and a webhook posted to the dry run
// is neither stored nor sent.
func TestE2EDryRunBesideLiveTakesNothing(t *testing.T) {
	t.Parallel()
	srv, err := broker.StartEmbedded(broker.EmbeddedOptions{Port: -1, StoreDir: t.TempDir(), ServerName: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	live := startE2E(t, e2eSpec{Rules: dryRunRules, Extra: dryRunExtra, NATSURL: srv.ClientURL()})
	out := &syncbuf.Buffer{}
	spec := dryRunSpec(out)
	spec.NATSURL = srv.ClientURL()
	dry := startE2E(t, spec)

	const events = 10
	var payloads []string
	for i := range events {
		payloads = append(payloads, fmt.Sprintf(`{"n": %d, "email": "p%02d@example.com"}`, i, i))
	}
	live.publishAll("pings.all", payloads)
	isPing := func(text string) bool { return strings.HasPrefix(text, "ping ") }
	eventually(t, e2eDeadline, func() bool {
		n := 0
		for _, c := range live.notifyCalls() {
			if isPing(c.Notify.Message.Val) {
				n++
			}
		}
		return n >= events
	}, func() string { return fmt.Sprintf("live Kore got %d calls", len(live.notifyCalls())) })
	eventually(t, e2eDeadline, func() bool { return strings.Count(out.String(), `"ping `) >= events },
		func() string { return "the dry run did not observe every event:\n" + out.String() })

	stored := live.streamMsgs()
	code, body := dry.do(http.MethodPost, "/hooks/orders", `{"id": 7, "email": "bob@example.com"}`, bearer(e2eBearerToken))
	acceptedID(t, "dry-run webhook", code, body)
	eventually(t, e2eDeadline, func() bool { return strings.Contains(out.String(), `"order 7 shipped"`) },
		func() string { return "the dry run did not print its own webhook's notification:\n" + out.String() })
	time.Sleep(300 * time.Millisecond) // a stored or forwarded event would reach the live instance by now
	perText := map[string]int{}
	for _, c := range live.notifyCalls() {
		perText[c.Notify.Message.Val]++
	}
	for text, n := range perText {
		if isPing(text) && n != 1 || text == "order 7 shipped" {
			t.Errorf("live Kore got %q %d times", text, n)
		}
	}
	if n := live.streamMsgs(); n > stored+2 { // cron ticks of the live instance may arrive meanwhile
		t.Errorf("the stream grew from %d to %d events after a dry-run webhook", stored, n)
	}
	c, err := live.jetstream().Consumer(context.Background(), live.cfg.NATS.Stream, broker.DefaultConsumer)
	if err != nil {
		t.Fatal(err)
	}
	// A cron tick of the live instance may be in its handler now; an event
	// the dry run took would stay pending for the ack wait (30 s), well
	// past this deadline, and then be redelivered.
	var info *jetstream.ConsumerInfo
	eventually(t, e2eDeadline, func() bool {
		info, err = c.Info(context.Background())
		return err == nil && info.NumAckPending == 0 && info.NumRedelivered == 0
	}, func() string {
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("durable consumer: %d pending acks, %d redelivered; want none", info.NumAckPending, info.NumRedelivered)
	})
	if n := len(dry.kore.Calls()); n != 0 {
		t.Errorf("the dry run called Kore %d times", n)
	}
}

// A dry run with no stream on its NATS (a fresh embedded server) still
// sees events on its rules' subjects, through plain subscriptions.
func TestE2EDryRunWithoutStreamSubscribes(t *testing.T) {
	t.Parallel()
	out := &syncbuf.Buffer{}
	dry := startE2E(t, dryRunSpec(out))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := dry.jetstream().Stream(ctx, dry.cfg.NATS.Stream); err == nil {
		t.Errorf("a dry run created the ingest stream %s", dry.cfg.NATS.Stream)
	} else if !strings.Contains(err.Error(), jetstream.ErrStreamNotFound.Error()) {
		t.Fatal(err)
	}
	nc, err := nats.Connect(dry.svc.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if err := nc.Publish("pings.x", []byte(`{"n": 5, "email": "eve@example.com"}`)); err != nil {
		t.Fatal(err)
	}
	eventually(t, e2eDeadline, func() bool { return strings.Contains(out.String(), `"ping 5"`) },
		func() string { return "dry-run output:\n" + out.String() })
}

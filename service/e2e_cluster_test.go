package service

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/korelay/korelay/kore/koretest"
)

// natsCluster is three in-process NATS servers with JetStream, routed to
// each other.
type natsCluster struct {
	t       *testing.T
	servers []*server.Server
}

// startCluster starts a three-node JetStream cluster on loopback and waits
// until it has elected a meta leader.
func startCluster(t *testing.T) *natsCluster {
	t.Helper()
	var ports []int
	for range 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
	}
	var routes []string
	for _, p := range ports {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	c := &natsCluster{t: t}
	for i, p := range ports {
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i), Host: "127.0.0.1", Port: -1,
			JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
			Cluster: server.ClusterOpts{Name: "korelay-test", Host: "127.0.0.1", Port: p},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
		}
		s, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		c.servers = append(c.servers, s)
	}
	t.Cleanup(c.stop)
	for _, s := range c.servers {
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatalf("%s not ready", s.Name())
		}
	}
	nc := c.connect()
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := js.AccountInfo(ctx)
		return err == nil
	}, func() string { return "the cluster has no JetStream meta leader" })
	// A leader places replicas only on peers it has stats from; until it
	// has heard from all three, raising a stream to R3 fails with "no
	// suitable peers".
	eventually(t, 20*time.Second, func() bool {
		for _, s := range c.servers {
			if s.JetStreamIsLeader() && len(s.JetStreamClusterPeers()) == len(c.servers) {
				return true
			}
		}
		return false
	}, func() string { return "the meta leader does not see all three peers online" })
	// Even then a peer can still read as offline to a leader for a moment
	// (seen on CI: "no suitable peers for placement, peer offline"): the
	// cluster is ready once it places a stream of three replicas.
	var probeErr error
	eventually(t, 20*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, probeErr = js.CreateStream(ctx, jetstream.StreamConfig{Name: "PLACEMENT_PROBE", Subjects: []string{"probe.placement"},
			Replicas: 3, Storage: jetstream.MemoryStorage})
		return probeErr == nil
	}, func() string { return fmt.Sprintf("a stream of three replicas cannot be placed: %v", probeErr) })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := js.DeleteStream(ctx, "PLACEMENT_PROBE"); err != nil {
		t.Fatalf("delete the placement probe: %v", err)
	}
	return c
}

// url lists every node's client URL.
func (c *natsCluster) url() string {
	var urls []string
	for _, s := range c.servers {
		urls = append(urls, s.ClientURL())
	}
	return strings.Join(urls, ",")
}

func (c *natsCluster) connect() *nats.Conn {
	nc, err := nats.Connect(c.url(), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		c.t.Fatal(err)
	}
	return nc
}

// kill stops node i at once.
func (c *natsCluster) kill(i int) {
	c.servers[i].Shutdown()
	c.servers[i].WaitForShutdown()
}

func (c *natsCluster) stop() {
	for _, s := range c.servers {
		s.Shutdown()
		s.WaitForShutdown()
	}
}

// korelay on a three-node NATS cluster with nats.replicas: 3 loses nothing
// when a node dies mid-stream: every event published and every webhook
// answered 202 reaches Kore exactly once, and korelay is ready again
// within seconds.
func TestE2EClusterNodeDeathLosesNothing(t *testing.T) {
	t.Parallel()
	cluster := startCluster(t)
	fake := koretest.Start(t)
	e := startE2E(t, e2eSpec{
		NATSURL: cluster.url(), Fake: fake, NATS: "replicas: 3\nack_wait: 5s",
		Kore: "budget: {per_minute: 100000, per_hour: 1000000}",
		// Standard Webhooks: a sender that retries after a lost answer sends
		// the same webhook-id, which the stream stores once.
		Extra: "webhooks:\n  shop:\n    auth: {type: standard-webhooks, secret: " + e2eWhsec + "}\n",
		Rules: `
rules:
  - name: personal
    on: {nats: "people.>"}
    notify: {channel: slack, to: event.email, text: "hello {{ .event.n }}"}
  - name: shop
    on: {webhook: shop}
    notify: {channel: slack, to: event.email, text: "shop {{ .event.n }}"}
`,
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(soak(t))*60*time.Second)
	defer cancel()
	s, err := e.jetstream().Stream(ctx, e.cfg.NATS.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.CachedInfo().Config.Replicas; r != 3 {
		t.Fatalf("ingest stream has %d replicas, want 3", r)
	}

	pubNC := cluster.connect()
	defer pubNC.Close()
	js, err := jetstream.New(pubNC)
	if err != nil {
		t.Fatal(err)
	}
	events := 200 * soak(t)
	var (
		mu       sync.Mutex
		accepted []string // identities whose event was stored (202 or PubAck)
	)
	var wg sync.WaitGroup
	wg.Go(func() { // NATS publisher: retries with the same Nats-Msg-Id until stored
		for i := range events {
			id := fmt.Sprintf("n%03d@example.com", i)
			msg := &nats.Msg{Subject: "people.x", Data: []byte(fmt.Sprintf(`{"n": %d, "email": %q}`, i, id)), Header: nats.Header{}}
			msg.Header.Set(jetstream.MsgIDHeader, id)
			for ctx.Err() == nil {
				pctx, pcancel := context.WithTimeout(ctx, 2*time.Second)
				_, err := js.PublishMsg(pctx, msg)
				pcancel()
				if err == nil {
					mu.Lock()
					accepted = append(accepted, id)
					mu.Unlock()
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	type webhookPost struct {
		id, body string
		header   http.Header
	}
	var posts []webhookPost
	for i := range events / 2 {
		id := fmt.Sprintf("w%03d@example.com", i)
		body := fmt.Sprintf(`{"n": %d, "email": %q}`, i, id)
		posts = append(posts, webhookPost{id, body, standardWebhookHeaders(t, "msg-"+id, time.Now(), body)})
	}
	wg.Go(func() { // webhook sender: retries until 202, as senders do on 503 or no answer
		client := &http.Client{Timeout: 5 * time.Second}
		for _, p := range posts {
			id, body := p.id, p.body
			for ctx.Err() == nil {
				req, _ := http.NewRequest(http.MethodPost, e.url("/hooks/shop"), strings.NewReader(body))
				req.Header = p.header.Clone()
				resp, err := client.Do(req)
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusAccepted {
						mu.Lock()
						accepted = append(accepted, id)
						mu.Unlock()
						break
					}
				}
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	eventually(t, 30*time.Second, func() bool { return len(fake.NotifyCalls()) >= 50 },
		func() string { return "no progress before the node death" })
	// Kill the node korelay is connected to, so it must reconnect too.
	victim := 0
	for i, srv := range cluster.servers {
		if srv.ClientURL() == e.svc.NATSURL() {
			victim = i
		}
	}
	killedAt := time.Now()
	cluster.kill(victim)
	recovered := waitReady(t, e, 30*time.Second)
	t.Logf("ready again %s after the node died", recovered.Sub(killedAt).Round(time.Millisecond))
	wg.Wait()
	mu.Lock()
	want := append([]string(nil), accepted...)
	mu.Unlock()
	if len(want) != events+events/2 {
		t.Fatalf("only %d of %d events were accepted", len(want), events+events/2)
	}
	eventually(t, time.Duration(soak(t))*60*time.Second, func() bool {
		got := countIdentities(fake.NotifyCalls())
		for _, id := range want {
			if got[id] == 0 {
				return false
			}
		}
		return true
	}, func() string {
		return fmt.Sprintf("%d of %d accepted events notified", len(countIdentities(fake.NotifyCalls())), len(want))
	})
	for id, n := range countIdentities(fake.NotifyCalls()) {
		if n != 1 {
			t.Errorf("%s notified %d times", id, n)
		}
	}
	if d := recovered.Sub(killedAt); d > 15*time.Second {
		t.Errorf("korelay took %s to be ready again", d)
	}
}

// waitReady polls /readyz until it answers 200 and returns when.
func waitReady(t *testing.T, e *e2e, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		resp, err := client.Get(e.url("/readyz"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Now()
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("not ready within %s", within)
	return time.Time{}
}

// Cron across replicas and NATS nodes: three replicas on a three-node
// cluster fire a rule every second; while a node and a replica die, each
// scheduled time still reaches Kore once, and no second goes missing
// except while the surviving replicas' fires were refused for want of a
// stream leader (they retry until the next fire).
func TestE2EClusterCronFiresOnceThroughDeaths(t *testing.T) {
	t.Parallel()
	cluster := startCluster(t)
	fake := koretest.Start(t)
	spec := e2eSpec{NATSURL: cluster.url(), Fake: fake, NATS: "replicas: 3\nack_wait: 2s",
		Rules: everySecondRules, Extra: teamGroup, Dir: t.TempDir()}
	var fleet []*e2e
	for range 3 {
		fleet = append(fleet, startE2E(t, spec))
	}
	eventually(t, 20*time.Second, func() bool { return len(fake.NotifyCalls()) >= 3 },
		func() string { return "no fires before the deaths" })
	cluster.kill(2)
	fleet[1].crash()
	time.Sleep(4 * time.Second)
	end := time.Now() // the fires end here; a drain's length is no lost second
	for _, r := range []*e2e{fleet[0], fleet[2]} {
		r.stop()
	}
	perTime := map[time.Time]int{}
	var start time.Time // the first fire: the replicas' start-up is no lost second
	for _, c := range fake.NotifyCalls() {
		at := scheduledOf(t, c)
		perTime[at]++
		if start.IsZero() || at.Before(start) {
			start = at
		}
	}
	for at, n := range perTime {
		if n != 1 {
			t.Errorf("the fire scheduled at %s reached Kore %d times", at.Format(time.RFC3339), n)
		}
	}
	fired := len(perTime)
	seconds := int(end.Sub(start).Seconds())
	t.Logf("%d distinct fires in about %d seconds with a node and a replica dying", fired, seconds)
	if fired < seconds-3 {
		t.Errorf("%d fires in %d seconds: fires were lost", fired, seconds)
	}
}

// An operator who moves a running deployment from nats.replicas: 1 to 3
// restarts korelay with the new value: every stream and bucket korelay
// keeps (events, dead letters, ledger, cron state, budget, held
// notifications, journal) is raised to three replicas, and events flow.
func TestE2EClusterReplicasRaisedOnRestart(t *testing.T) {
	t.Parallel()
	cluster := startCluster(t)
	fake := koretest.Start(t)
	spec := e2eSpec{NATSURL: cluster.url(), Fake: fake, Rules: personalRules, Extra: teamGroup}
	first := startE2E(t, spec)
	first.publish("people.x", `{"n": 1, "email": "ann@example.com"}`)
	first.waitCalls(1)
	first.stop()

	spec.NATS = "replicas: 3"
	second := startE2E(t, spec)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	js := second.jetstream()
	var names []string
	for name := range js.StreamNames(ctx).Name() {
		names = append(names, name)
	}
	slices.Sort(names)
	if len(names) < 7 {
		t.Errorf("korelay keeps %d streams on the cluster (%v), want at least 7", len(names), names)
	}
	for _, name := range names {
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if r := s.CachedInfo().Config.Replicas; r != 3 {
			t.Errorf("stream %s has %d replicas after a restart with nats.replicas: 3", name, r)
		}
	}
	// The streams just went from one replica to three; while the new
	// replicas catch up, a publish may go unanswered for a while, as any
	// publisher would see. Retry it under one message id (stored once).
	msg := nats.NewMsg("people.x")
	msg.Data = []byte(`{"n": 2, "email": "bob@example.com"}`)
	msg.Header.Set(nats.MsgIdHdr, "bob-after-raise")
	eventually(t, 30*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := js.PublishMsg(ctx, msg)
		return err == nil
	}, func() string { return "no publish was stored after raising the replicas" })
	time.Sleep(500 * time.Millisecond) // room for a second call that must not come
	if got := identitiesOf(second.waitCalls(2)); len(got) != 2 {
		t.Errorf("Kore was called for %v, want ann and bob", got)
	}
}

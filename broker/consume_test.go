package broker

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestPublishConsumeRoundtrip(t *testing.T) {
	b, _ := setup(t, Options{})
	h, got := collect(ack)
	consume(t, b, h)

	hdr := nats.Header{"Korelay-Content-Type": []string{"application/json"}}
	id := publish(t, b, "korelay.webhook.orders", `{"id":42}`, hdr)
	if id != "korelay-1" {
		t.Errorf("event id = %q, want korelay-1", id)
	}
	m := receive(t, got, 5*time.Second)
	if m.EventID != id || m.Subject != "korelay.webhook.orders" || string(m.Data) != `{"id":42}` ||
		m.Header.Get("Korelay-Content-Type") != "application/json" || m.NumDelivered != 1 ||
		m.Stream != "KORELAY" || m.Sequence != 1 || m.LastAttempt || m.Received.IsZero() {
		t.Errorf("delivery = %+v", m)
	}
}

func TestPublishDuplicateMsgID(t *testing.T) {
	b, nc := setup(t, Options{})
	tests := []struct {
		name     string
		ids      [2]string
		wantSame bool
	}{
		{"same id stored once", [2]string{"webhook:orders:abc", "webhook:orders:abc"}, true},
		{"different ids stored twice", [2]string{"cron:x:1", "cron:x:2"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := streamMsgs(t, nc, "KORELAY")
			var got [2]string
			for i, msgID := range tt.ids {
				got[i] = publish(t, b, "korelay.webhook.orders", "body", nats.Header{jetstream.MsgIDHeader: {msgID}})
			}
			if (got[0] == got[1]) != tt.wantSame {
				t.Errorf("event ids %q and %q, want same=%v", got[0], got[1], tt.wantSame)
			}
			want := uint64(2)
			if tt.wantSame {
				want = 1
			}
			if n := streamMsgs(t, nc, "KORELAY") - before; n != want {
				t.Errorf("stored %d messages, want %d", n, want)
			}
		})
	}
}

func TestNakRedelivers(t *testing.T) {
	b, _ := setup(t, Options{})
	h, got := collect(func(m Msg) Disposition {
		if m.NumDelivered == 1 {
			return Nak(0)
		}
		return Ack()
	})
	consume(t, b, h)
	publish(t, b, "korelay.cron.weekly", "{}", nil)
	if m := receive(t, got, 5*time.Second); m.NumDelivered != 1 {
		t.Fatalf("first delivery NumDelivered = %d", m.NumDelivered)
	}
	if m := receive(t, got, 5*time.Second); m.NumDelivered != 2 || m.EventID != "korelay-1" {
		t.Fatalf("redelivery = %+v, want NumDelivered 2 of korelay-1", m)
	}
	expectNone(t, got, 300*time.Millisecond)
}

// With BackOff the server skews delayed Naks after the first delivery; Nak
// compensates so the delay asked for is the delay seen.
func TestNakDelayWithBackOff(t *testing.T) {
	b, _ := setup(t, Options{AckWait: 200 * time.Millisecond, BackOff: []time.Duration{200 * time.Millisecond, 3 * time.Second}})
	h, got := collect(func(m Msg) Disposition {
		switch m.NumDelivered {
		case 1:
			return Nak(0)
		case 2:
			return Nak(300 * time.Millisecond)
		}
		return Ack()
	})
	consume(t, b, h)
	publish(t, b, "korelay.cron.weekly", "{}", nil)
	receive(t, got, 5*time.Second)
	receive(t, got, 5*time.Second)
	start := time.Now()
	m := receive(t, got, 5*time.Second)
	if wait := time.Since(start); m.NumDelivered != 3 || wait < 250*time.Millisecond || wait > 2*time.Second {
		t.Errorf("third delivery %d after %s, want ~300ms", m.NumDelivered, wait)
	}
}

func TestTermNotRedelivered(t *testing.T) {
	b, nc := setup(t, Options{AckWait: 200 * time.Millisecond})
	h, got := collect(func(Msg) Disposition { return Term() })
	consume(t, b, h)
	publish(t, b, "korelay.cron.weekly", "{}", nil)
	receive(t, got, 5*time.Second)
	expectNone(t, got, time.Second) // well past the ack wait
	js, _ := jetstream.New(nc)
	c, err := js.Consumer(context.Background(), "KORELAY", DefaultConsumer)
	if err != nil {
		t.Fatal(err)
	}
	if info := c.CachedInfo(); info.NumAckPending != 0 || info.NumRedelivered != 0 {
		t.Errorf("ack pending %d, redelivered %d; want 0, 0", info.NumAckPending, info.NumRedelivered)
	}
}

func TestLastAttemptNakIsDeadLettered(t *testing.T) {
	exhausted := make(chan string, 1)
	b, _ := setup(t, Options{MaxDeliver: 2, OnExhausted: func(id string) { exhausted <- id }})
	h, got := collect(func(Msg) Disposition { return Nak(0) })
	consume(t, b, h)
	id := publish(t, b, "korelay.webhook.orders", `{"id":1}`, nil)
	if m := receive(t, got, 5*time.Second); m.LastAttempt {
		t.Error("first of two deliveries marked LastAttempt")
	}
	if m := receive(t, got, 5*time.Second); !m.LastAttempt {
		t.Error("second of two deliveries not marked LastAttempt")
	}
	expectNone(t, got, 500*time.Millisecond)
	dls, err := b.DeadLetters(context.Background(), DLQFilter{EventID: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != 1 || dls[0].Reason != "exhausted" || dls[0].Attempts != 2 || dls[0].Subject != "korelay.webhook.orders" || string(dls[0].Data) != `{"id":1}` {
		t.Errorf("dead letters = %+v", dls)
	}
	select {
	case got := <-exhausted:
		if got != id {
			t.Errorf("OnExhausted(%q), want %q", got, id)
		}
	default:
		t.Error("OnExhausted was not called")
	}
}

func TestSlowHandlerKeptAlive(t *testing.T) {
	b, _ := setup(t, Options{AckWait: 300 * time.Millisecond})
	h, got := collect(func(Msg) Disposition {
		time.Sleep(time.Second) // over three ack waits
		return Ack()
	})
	consume(t, b, h)
	publish(t, b, "korelay.cron.weekly", "{}", nil)
	receive(t, got, 5*time.Second)
	expectNone(t, got, 1500*time.Millisecond)
}

func TestUnackedRedeliveredAfterRestart(t *testing.T) {
	dir := t.TempDir()
	opts := Options{AckWait: 300 * time.Millisecond, DrainTimeout: 100 * time.Millisecond}

	s1 := startServerAt(t, dir)
	nc1 := connect(t, s1)
	b1 := newBroker(t, nc1, opts)
	release := make(chan struct{})
	h1, got1 := collect(func(Msg) Disposition {
		<-release
		return Ack()
	})
	_, done := consume(t, b1, h1)
	id := publish(t, b1, "korelay.webhook.orders", "x", nil)
	receive(t, got1, 5*time.Second)
	// Crash: the connection and the server go away while the handler runs.
	nc1.Close()
	s1.Shutdown()
	s1.WaitForShutdown()
	close(release)
	if err := <-done; err == nil {
		t.Error("Consume returned nil after its connection closed")
	}

	s2 := startServerAt(t, dir)
	b2 := newBroker(t, connect(t, s2), opts)
	h2, got2 := collect(ack)
	consume(t, b2, h2)
	m := receive(t, got2, 5*time.Second)
	if m.EventID != id || m.NumDelivered != 2 {
		t.Errorf("after restart got %s delivery %d, want %s delivery 2", m.EventID, m.NumDelivered, id)
	}
}

func TestReplicasShareDurable(t *testing.T) {
	s := startServer(t)
	opts := Options{MaxAckPending: 8}
	var mu sync.Mutex
	seen := map[uint64]int{}
	perReplica := [2]int{}
	for r := range 2 {
		b := newBroker(t, connect(t, s), opts)
		consume(t, b, Sync(func(_ context.Context, m Msg) Disposition {
			time.Sleep(2 * time.Millisecond)
			mu.Lock()
			seen[m.Sequence]++
			perReplica[r]++
			mu.Unlock()
			return Ack()
		}))
	}
	b := newBroker(t, connect(t, s), opts)
	const n = 200
	for range n {
		publish(t, b, "korelay.webhook.orders", "x", nil)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		count := len(seen)
		mu.Unlock()
		if count == n || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // any duplicate would show up now
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != n {
		t.Fatalf("handled %d distinct events, want %d", len(seen), n)
	}
	for seq, c := range seen {
		if c != 1 {
			t.Errorf("event %d handled %d times", seq, c)
		}
	}
	if perReplica[0] == 0 || perReplica[1] == 0 {
		t.Errorf("per replica %v: want both replicas to take events", perReplica)
	}
}

func TestIdleEventLatency(t *testing.T) {
	b, _ := setup(t, Options{})
	h, got := collect(ack)
	consume(t, b, h)
	time.Sleep(300 * time.Millisecond) // idle: the pull request is parked on the server
	start := time.Now()
	publish(t, b, "korelay.webhook.orders", "x", nil)
	receive(t, got, 5*time.Second)
	latency := time.Since(start)
	t.Logf("idle publish-to-handler latency: %.2f ms", float64(latency.Microseconds())/1000)
	if latency > time.Second {
		t.Errorf("latency %s, want milliseconds", latency)
	}
}

func TestGracefulStop(t *testing.T) {
	tests := []struct {
		name         string
		handlerTime  time.Duration
		drainTimeout time.Duration
		wantFinished bool
	}{
		{"in-flight handler finishes and is acked", 300 * time.Millisecond, 5 * time.Second, true},
		{"drain timeout cancels the handler", time.Minute, 200 * time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, nc := setup(t, Options{DrainTimeout: tt.drainTimeout})
			started := make(chan struct{})
			var finished, cancelled atomic.Bool
			stop, done := consume(t, b, Sync(func(ctx context.Context, _ Msg) Disposition {
				close(started)
				select {
				case <-time.After(tt.handlerTime):
					finished.Store(true)
					return Ack()
				case <-ctx.Done():
					cancelled.Store(true)
					return Nak(0)
				}
			}))
			publish(t, b, "korelay.webhook.orders", "x", nil)
			<-started
			begin := time.Now()
			go stop()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Consume = %v, want nil", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Consume did not return")
			}
			took := time.Since(begin)
			if finished.Load() != tt.wantFinished {
				t.Errorf("handler finished = %v, want %v", finished.Load(), tt.wantFinished)
			}
			if tt.wantFinished && took < tt.handlerTime/2 {
				t.Errorf("Consume returned after %s, before its handler finished", took)
			}
			if !tt.wantFinished && took > tt.drainTimeout+2*time.Second {
				t.Errorf("Consume returned after %s, drain timeout %s", took, tt.drainTimeout)
			}
			if tt.wantFinished {
				js, _ := jetstream.New(nc)
				c, _ := js.Consumer(context.Background(), "KORELAY", DefaultConsumer)
				if err := waitUntil(2*time.Second, func() bool {
					info, err := c.Info(context.Background())
					return err == nil && info.NumAckPending == 0 && info.AckFloor.Stream == 1
				}); err != nil {
					t.Errorf("event not acked after graceful stop: %v", err)
				}
			} else {
				_ = waitUntil(2*time.Second, cancelled.Load)
				if !cancelled.Load() {
					t.Error("handler context not cancelled after drain timeout")
				}
			}
		})
	}
}

func TestConsumeCore(t *testing.T) {
	s := startServer(t)
	nc := connect(t, s)
	var mu sync.Mutex
	var got []Msg
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	for range 2 { // two replicas in one queue group
		replica := connect(t, s)
		core, err := NewCore(replica, Options{Subjects: []string{"orders.>", "orders.eu.>"}})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			done <- core.Consume(ctx, Sync(func(_ context.Context, m Msg) Disposition {
				mu.Lock()
				got = append(got, m)
				mu.Unlock()
				return Ack()
			}))
		}()
	}
	time.Sleep(200 * time.Millisecond) // let the subscriptions register
	for range 20 {
		if err := nc.Publish("orders.eu.1", []byte(`{"id":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	_ = nc.Flush()
	if err := waitUntil(5*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return len(got) >= 20 }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	cancel()
	for range 2 {
		if err := <-done; err != nil {
			t.Errorf("Core.Consume = %v", err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 20 {
		t.Errorf("handled %d messages, want 20 (one per message across the queue group)", len(got))
	}
	ids := map[string]bool{}
	for _, m := range got {
		if len(m.EventID) < 6 || m.EventID[:5] != "core-" || ids[m.EventID] || m.Subject != "orders.eu.1" || !m.LastAttempt {
			t.Errorf("core delivery %+v", m)
		}
		ids[m.EventID] = true
	}
}

func waitUntil(d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return errors.New("condition not met in time")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// Consume returns only once every handler has returned, even one that
// keeps working after the drain timeout cancelled its context: the caller
// may then close the connection without cutting off a settle.
func TestConsumeWaitsForHandlersPastDrainTimeout(t *testing.T) {
	const lingering = 500 * time.Millisecond
	for name, mk := range map[string]func(*testing.T) (Transport, *nats.Conn){
		"jetstream": func(t *testing.T) (Transport, *nats.Conn) {
			b, nc := setup(t, Options{DrainTimeout: 50 * time.Millisecond})
			return b, nc
		},
		"core": func(t *testing.T) (Transport, *nats.Conn) {
			nc := connect(t, startServer(t))
			c, err := NewCore(nc, Options{DrainTimeout: 50 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			return c, nc
		},
	} {
		t.Run(name, func(t *testing.T) {
			tr, _ := mk(t)
			started := make(chan struct{})
			var returned atomic.Bool
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- tr.Consume(ctx, Sync(func(hctx context.Context, _ Msg) Disposition {
					close(started)
					<-hctx.Done()
					time.Sleep(lingering) // settling work that ignores the cancellation
					returned.Store(true)
					return Nak(0)
				}))
			}()
			time.Sleep(100 * time.Millisecond) // let the subscriptions register
			if _, err := tr.Publish(context.Background(), &nats.Msg{Subject: "korelay.webhook.orders", Data: []byte("x")}); err != nil {
				t.Fatal(err)
			}
			<-started
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Consume = %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Consume did not return")
			}
			if !returned.Load() {
				t.Error("Consume returned while a handler was still running")
			}
		})
	}
}

// A reload in core-NATS mode subscribes to new subjects at once and stops
// delivering those no rule uses any more.
func TestCoreUpdateSubjects(t *testing.T) {
	nc := connect(t, startServer(t))
	core, err := NewCore(nc, Options{Subjects: []string{"orders.>"}})
	if err != nil {
		t.Fatal(err)
	}
	h, got := collect(ack)
	consumeUntilCleanup(t, core, h)
	<-core.Started()
	pub := func(subject string) { // on nc, so the server sees it after the (un)subscriptions
		t.Helper()
		if err := nc.Publish(subject, []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	pub("orders.1")
	if m := receive(t, got, 5*time.Second); m.Subject != "orders.1" {
		t.Fatalf("before the update got %s", m.Subject)
	}
	if err := core.UpdateSubjects(context.Background(), []string{"hr.>"}); err != nil {
		t.Fatal(err)
	}
	pub("orders.2")
	pub("hr.1")
	if m := receive(t, got, 5*time.Second); m.Subject != "hr.1" {
		t.Errorf("after the update got %s, want hr.1 (orders.> is no longer used)", m.Subject)
	}
	expectNone(t, got, 200*time.Millisecond)
}

func TestEventIDOf(t *testing.T) {
	for _, tc := range []struct {
		stream string
		seq    uint64
		want   string
	}{
		{"KORELAY", 42, "korelay-42"},
		{"Orders_EU-2", 18446744073709551615, "orders_eu-2-18446744073709551615"},
		{"ÉVÉNEMENTS", 7, "événements-7"},
		{"", 0, "-0"},
	} {
		if got := eventIDOf(tc.stream, tc.seq); got != tc.want {
			t.Errorf("eventIDOf(%q, %d) = %q, want %q", tc.stream, tc.seq, got, tc.want)
		}
	}
}

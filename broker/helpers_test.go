package broker

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// startServer starts an embedded JetStream server on a random port with a
// fresh store, shut down when the test ends.
func startServer(t testing.TB) *server.Server {
	t.Helper()
	return startServerAt(t, t.TempDir())
}

func startServerAt(t testing.TB, dir string) *server.Server {
	t.Helper()
	s, err := StartEmbedded(EmbeddedOptions{Port: -1, StoreDir: dir})
	if err != nil {
		t.Fatalf("start embedded nats: %v", err)
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}

func connect(t testing.TB, s *server.Server) *nats.Conn {
	t.Helper()
	nc, err := Connect(context.Background(), ConnectOptions{URL: s.ClientURL()})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func newBroker(t testing.TB, nc *nats.Conn, opts Options) *Broker {
	t.Helper()
	b, err := New(context.Background(), nc, opts)
	if err != nil {
		t.Fatalf("new broker: %v", err)
	}
	return b
}

// setup is the common case: one server, one connection, one broker.
func setup(t testing.TB, opts Options) (*Broker, *nats.Conn) {
	t.Helper()
	nc := connect(t, startServer(t))
	return newBroker(t, nc, opts), nc
}

// consume runs b.Consume in the background until the test ends (or stop is
// called); done receives its result.
func consume(t testing.TB, b *Broker, h Handler) (stop func(), done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		errc <- b.Consume(ctx, h)
		close(finished)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-finished:
			case <-time.After(10 * time.Second):
				t.Error("Consume did not return within 10s of stop")
			}
		})
	}
	t.Cleanup(stop)
	return stop, errc
}

// collect returns a handler that sends each delivery on a channel and
// answers with d(m).
func collect(d func(Msg) Disposition) (Handler, <-chan Msg) {
	ch := make(chan Msg, 1024)
	return Sync(func(_ context.Context, m Msg) Disposition {
		ch <- m
		return d(m)
	}), ch
}

func ack(Msg) Disposition { return Ack() }

func publish(t testing.TB, b *Broker, subject, data string, hdr nats.Header) string {
	t.Helper()
	id, err := b.Publish(context.Background(), &nats.Msg{Subject: subject, Data: []byte(data), Header: hdr})
	if err != nil {
		t.Fatalf("publish %s: %v", subject, err)
	}
	return id
}

func receive(t testing.TB, ch <-chan Msg, within time.Duration) Msg {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(within):
		t.Fatalf("no delivery within %s", within)
		return Msg{}
	}
}

func expectNone(t testing.TB, ch <-chan Msg, during time.Duration) {
	t.Helper()
	select {
	case m := <-ch:
		t.Fatalf("unexpected delivery %s (delivery %d)", m.EventID, m.NumDelivered)
	case <-time.After(during):
	}
}

func streamMsgs(t testing.TB, nc *nats.Conn, stream string) uint64 {
	t.Helper()
	js, _ := jetstream.New(nc)
	s, err := js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	return s.CachedInfo().State.Msgs
}

// consumeUntilCleanup runs c.Consume with h until the test ends, then
// expects it to return nil.
func consumeUntilCleanup(t *testing.T, c interface {
	Consume(context.Context, Handler) error
}, h Handler) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Consume(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Consume = %v", err)
		}
	})
}

// waitErr returns what ch receives, failing the test after 10 s with
// never.
func waitErr(t *testing.T, ch <-chan error, never string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal(never)
		return nil
	}
}

// noSecond fails the test if ch receives again within 50 ms.
func noSecond(t *testing.T, ch <-chan error) {
	t.Helper()
	select {
	case err := <-ch:
		t.Fatalf("done called twice (%v)", err)
	case <-time.After(50 * time.Millisecond):
	}
}

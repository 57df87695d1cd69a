package subject

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestMatchesAgreesWithNATS subscribes an embedded nats-server to patterns,
// publishes subjects, and compares what NATS delivered with Matches.
func TestMatchesAgreesWithNATS(t *testing.T) {
	nc := connectEmbedded(t, false)
	patterns := []string{">", "*", "*.*", "a.>", "a.*", "a.b", "*.b", "a.*.c", "eu*", "*x", "a.>b", "a.*x",
		"0*0000", "*.eu.*", "x.*.>", "a.b.>"}
	subjects := []string{"a", "b", "a.b", "a.c", "a.b.c", "a.x.c", "eu*", "eu", "*x", "x", "a.>b", "a.*x", "a.y",
		"0*0000", "q.eu.r", "x.y.z", "x.y", "a.b.c.d"}
	var mu sync.Mutex
	got := map[string][]string{}
	for _, p := range patterns {
		if _, err := nc.Subscribe(p, func(m *nats.Msg) {
			mu.Lock()
			got[p] = append(got[p], m.Subject)
			mu.Unlock()
		}); err != nil {
			t.Fatalf("subscribe %q: %v", p, err)
		}
	}
	for _, s := range subjects {
		if err := nc.Publish(s, nil); err != nil {
			t.Fatalf("publish %q: %v", s, err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := nc.Drain(); err != nil {
		t.Fatal(err)
	}
	for !nc.IsClosed() {
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range patterns {
		var want []string
		for _, s := range subjects {
			if Matches(p, s) {
				want = append(want, s)
			}
		}
		slices.Sort(want)
		slices.Sort(got[p])
		if !slices.Equal(got[p], want) {
			t.Errorf("pattern %q: NATS delivered %q, Matches says %q", p, got[p], want)
		}
	}
}

func connectEmbedded(t *testing.T, jetStream bool) *nats.Conn {
	t.Helper()
	opts := &server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true}
	if jetStream {
		opts.JetStream, opts.StoreDir = true, t.TempDir()
	}
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(5 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// TestOverlapAgreesWithJetStream gives pairs of patterns to JetStream as
// the filters of one consumer and as the subjects of one stream: Overlap
// must say true exactly when JetStream refuses either.
func TestOverlapAgreesWithJetStream(t *testing.T) {
	js := jetStream(t)
	ctx := context.Background()
	pairs := [][2]string{
		{"a.*.c", "a.b.*"}, {"a.*", "a.b"}, {"a.>", "b.>"}, {"a.b", "a.c"}, {"a.*", "b.*"},
		{"*x", "a"}, {"*x.*", "a.*"}, {"eu*", "eu"}, {"eu*", "*"}, {"a.>", "*.b"}, {"a", "a.>"},
		{"x.*.>", "x.y"}, {"a.b.c", "a.*"}, {"q.*x", "q.b"}, {"a.>", "*x.>"},
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "ALL", Subjects: []string{">"}, NoAck: true,
		Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	refused := make([]error, len(pairs))
	for i, p := range pairs {
		_, refused[i] = js.CreateOrUpdateConsumer(ctx, "ALL", jetstream.ConsumerConfig{
			Durable: fmt.Sprintf("C%d", i), FilterSubjects: []string{p[0], p[1]}})
	}
	if err := js.DeleteStream(ctx, "ALL"); err != nil {
		t.Fatal(err)
	}
	for i, p := range pairs {
		if refused[i] == nil {
			// Each pair gets its own memory stream: re-creating one file
			// stream name right after deleting it can race the server's
			// removal of the old store directory.
			name := fmt.Sprintf("S%d", i)
			_, refused[i] = js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{p[0], p[1]},
				Storage: jetstream.MemoryStorage})
			if refused[i] == nil {
				if err := js.DeleteStream(ctx, name); err != nil {
					t.Fatal(err)
				}
			}
		}
		if got := Overlap(p[0], p[1]); got != (refused[i] != nil) {
			t.Errorf("Overlap(%q, %q) = %v; JetStream: %v", p[0], p[1], got, refused[i])
		}
	}
}

func jetStream(t *testing.T) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(connectEmbedded(t, true))
	if err != nil {
		t.Fatal(err)
	}
	return js
}

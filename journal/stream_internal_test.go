package journal

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/korelay/korelay/broker"
)

// connectJetStream starts an embedded JetStream server and connects.
func connectJetStream(t *testing.T) *nats.Conn {
	t.Helper()
	srv, err := broker.StartEmbedded(broker.EmbeddedOptions{Port: -1, StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// TestStreamSinkCopiesTheBatch: the caller may reuse its batch as soon as
// Write returns; the stream stores what it held then.
func TestStreamSinkCopiesTheBatch(t *testing.T) {
	nc := connectJetStream(t)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if _, err := EnsureStream(ctx, js, StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	s, err := NewStreamSink(nc, func(int) { t.Error("a write failed") })
	if err != nil {
		t.Fatal(err)
	}
	batch := []byte(`{"kind":"evaluated"}` + "\n")
	if err := s.Write(3, 1, batch); err != nil {
		t.Fatal(err)
	}
	copy(batch, "XXXXXXXX")
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	stream, _ := js.Stream(ctx, StreamName)
	m, err := stream.GetLastMsgForSubject(ctx, Subject(3))
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Data) != `{"kind":"evaluated"}`+"\n" {
		t.Errorf("stored %q, want the batch as it was when written", m.Data)
	}
}

// TestStreamSinkCountsFailedWrites: a write the server refuses (no
// journal stream) and one left unanswered past ackTimeout are reported in
// records, and Flush returns once nothing is awaited.
func TestStreamSinkCountsFailedWrites(t *testing.T) {
	nc := connectJetStream(t)
	var failed atomic.Int64
	s, err := NewStreamSink(nc, func(n int) { failed.Add(int64(n)) })
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(0, 5, []byte("x\n")); err != nil { // nothing stores korelay.journal.s00
		t.Fatal(err)
	}
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := failed.Load(); got != 5 {
		t.Fatalf("%d records reported failed after a refused write, want 5", got)
	}

	silent, err := nc.SubscribeSync(Subject(1)) // receives, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Unsubscribe()
	base := time.Now()
	var clock atomic.Int64
	s.now = func() time.Time { return base.Add(time.Duration(clock.Load())) }
	if err := s.Write(1, 7, []byte("y\n")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Flush(ctx); err == nil {
		t.Fatal("Flush returned while a write was unanswered")
	}
	clock.Store(int64(ackTimeout))
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := failed.Load(); got != 12 {
		t.Errorf("%d records reported failed after a write went unanswered, want 12", got)
	}
}

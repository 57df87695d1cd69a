package broker

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// BenchmarkConsume measures end-to-end consume throughput: b.N events are
// stored first, then Consume runs until a no-op handler acked them all.
func BenchmarkConsume(b *testing.B) {
	for _, mode := range []string{"tcp", "in-process"} {
		b.Run(mode, func(b *testing.B) {
			s := startServer(b)
			opts := ConnectOptions{URL: s.ClientURL()}
			if mode == "in-process" {
				opts = ConnectOptions{InProcess: s}
			}
			nc, err := Connect(context.Background(), opts)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(nc.Close)
			br := newBroker(b, nc, Options{})
			prefill(b, nc, b.N)

			var handled atomic.Int64
			all := make(chan struct{})
			n := int64(b.N)
			b.ResetTimer()
			_, done := consume(b, br, Sync(func(context.Context, Msg) Disposition {
				if handled.Add(1) == n {
					close(all)
				}
				return Ack()
			}))
			select {
			case <-all:
			case err := <-done:
				b.Fatalf("Consume returned %v", err)
			case <-time.After(5 * time.Minute):
				b.Fatalf("handled %d of %d", handled.Load(), n)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// prefill stores n small events in the ingest stream.
func prefill(b *testing.B, nc *nats.Conn, n int) {
	b.Helper()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"order":{"id":1234567890123456789,"status":"shipped"}}`)
	for i := range n {
		if _, err := js.PublishAsync("korelay.webhook.orders", body, jetstream.WithMsgID(strconv.Itoa(i)), jetstream.WithStallWait(time.Minute)); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("prefill not acknowledged")
	}
}

// BenchmarkFlow measures handing events to the flow's workers and settling
// them: submit, a handler that settles at once, and the settle.
func BenchmarkFlow(b *testing.B) {
	f := newFlow(context.Background(), func(_ context.Context, _ Msg, done func(Disposition)) { done(Ack()) },
		1024, func(*flowEvent, Disposition) {})
	b.ReportAllocs()
	for b.Loop() {
		f.submit(context.Background(), Msg{}, nil, 0)
	}
	f.drain(time.Minute, Ack())
}

package delivery_test

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/rules"
)

// instantKore accepts every call at once without recording it.
type instantKore struct{ n atomic.Int64 }

func (k *instantKore) Notify(context.Context, kore.NotifyRequest) (*kore.Job, error) {
	return &kore.Job{ID: "job-" + strconv.FormatInt(k.n.Add(1), 10)}, nil
}

// BenchmarkDeliver measures the engine's own cost per notification with an
// instant Kore and no budget limit. One op is one Deliver of one
// notification; broadcast reports per identity as well.
func BenchmarkDeliver(b *testing.B) {
	unlimited := delivery.Options{PerMinute: -1, PerHour: -1}
	newEngine := func(b *testing.B) *delivery.Engine {
		e, err := delivery.New(&instantKore{}, broker.NewMemoryLedger(), unlimited)
		if err != nil {
			b.Fatal(err)
		}
		go func() { _ = e.Run(b.Context()) }()
		return e
	}
	deliver := func(b *testing.B, e *delivery.Engine, n rules.Notification) {
		if _, err := e.Deliver(context.Background(), []rules.Notification{n}, delivery.DeliverOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("single", func(b *testing.B) {
		e := newEngine(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			deliver(b, e, note(strconv.Itoa(i), "r", "your order shipped", "ann@example.com"))
		}
	})
	b.Run("parallel", func(b *testing.B) {
		e := newEngine(b)
		var seq atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := seq.Add(1)
				deliver(b, e, note(strconv.FormatInt(i, 10), "r", "your order shipped", fmt.Sprint("u", i%1000)))
			}
		})
	})
	b.Run("broadcast-1000", func(b *testing.B) {
		e := newEngine(b)
		ids := users("u", 1000)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			deliver(b, e, note(strconv.Itoa(i), "r", "all hands at 10", ids...))
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ids)), "ns/identity")
	})
}

package broker

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestLedgerSeenRecordExpiry(t *testing.T) {
	b, _ := setup(t, Options{})
	l := b.ledger
	ctx := context.Background()
	keys := []string{"order-shipped:42:ann@example.com", "weekly report/ü:bob@example.com", ""}
	check := func(name string, want ...bool) {
		t.Helper()
		got, err := l.Seen(ctx, keys)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: Seen = %v, want %v", name, got, want)
		}
	}
	check("fresh ledger", false, false, false)
	if err := l.Record(ctx, keys[:2], time.Hour); err != nil {
		t.Fatal(err)
	}
	check("after record", true, true, false)

	real := l.now
	l.now = func() time.Time { return real().Add(2 * time.Hour) }
	check("after the ttl", false, false, false)
	l.now = real

	// Recording again extends the entry.
	if err := l.Record(ctx, keys[:1], 3*time.Hour); err != nil {
		t.Fatal(err)
	}
	l.now = func() time.Time { return real().Add(2 * time.Hour) }
	check("re-recorded with a longer ttl", true, false, false)
	l.now = real
}

func TestLedgerManyKeysBothReadPaths(t *testing.T) {
	b, _ := setup(t, Options{})
	l := b.ledger
	ctx := context.Background()
	const n = 2500 // spans three batched gets
	keys := make([]string, n)
	var recorded []string
	for i := range keys {
		keys[i] = fmt.Sprintf("rule:%d:user%d@example.com", i, i)
		if i%3 == 0 {
			recorded = append(recorded, keys[i])
		}
	}
	if err := l.Record(ctx, recorded, time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, path := range []struct {
		name    string
		noBatch bool
	}{{"batched direct get", false}, {"parallel gets", true}} {
		t.Run(path.name, func(t *testing.T) {
			l.noBatch.Store(path.noBatch)
			seen, err := l.Seen(ctx, keys)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range seen {
				if s != (i%3 == 0) {
					t.Fatalf("Seen[%d] = %v", i, s)
				}
			}
			if l.noBatch.Load() != path.noBatch {
				t.Error("batched get fell back to parallel gets on this server")
			}
		})
	}
}

func TestLedgerRecordRejectsTTL(t *testing.T) {
	b, _ := setup(t, Options{})
	for _, ttl := range []time.Duration{0, -time.Second, MaxDedupWindow + time.Second} {
		if err := b.ledger.Record(context.Background(), []string{"k"}, ttl); err == nil {
			t.Errorf("Record with ttl %s succeeded", ttl)
		}
	}
}

// BenchmarkLedger measures Seen then Record of a batch of new keys per op.
func BenchmarkLedger(b *testing.B) {
	for _, n := range []int{1000, 1} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			br, _ := setup(b, Options{})
			l := br.ledger
			ctx := context.Background()
			keys := make([]string, n)
			b.ResetTimer()
			for i := range b.N {
				for j := range keys {
					keys[j] = fmt.Sprintf("rule:%d:%d@example.com", i, j)
				}
				if _, err := l.Seen(ctx, keys); err != nil {
					b.Fatal(err)
				}
				if err := l.Record(ctx, keys, time.Hour); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "keys/s")
		})
	}
}

// TestLedgerRecordAsync: RecordAsync returns before the keys are stored
// and says once, by done, that they are; an invalid ttl is refused at
// once.
func TestLedgerRecordAsync(t *testing.T) {
	b, _ := setup(t, Options{})
	l := b.ledger
	keys := []string{"order-shipped:42:ann@example.com", "order-shipped:42:bob@example.com"}
	done := make(chan error, 2)
	l.RecordAsync(keys, time.Hour, func(err error) { done <- err })
	if err := waitErr(t, done, "RecordAsync never finished"); err != nil {
		t.Fatalf("RecordAsync: %v", err)
	}
	seen, err := l.Seen(context.Background(), append(keys, "never recorded"))
	if err != nil || fmt.Sprint(seen) != "[true true false]" {
		t.Fatalf("Seen after RecordAsync = %v, %v; want [true true false]", seen, err)
	}
	l.RecordAsync(keys, 0, func(err error) { done <- err })
	if err := <-done; err == nil {
		t.Error("RecordAsync with ttl 0 succeeded, want an error")
	}
	noSecond(t, done)
}

// TestLedgerKeyIsStable pins how keys are hashed: ledgers written by one
// version are read by the next.
func TestLedgerKeyIsStable(t *testing.T) {
	const want = "wYUKTEp54rNr0rGtNy-wnA" // base64url(sha256(key)[:16]), unpadded
	if got := ledgerKey("order-paid\x00event:korelay-42\x00ann@example.com"); got != want {
		t.Errorf("ledgerKey = %q, want %q", got, want)
	}
	if got := string(appendLedgerKey([]byte("$KV.b."), "order-paid\x00event:korelay-42\x00ann@example.com")); got != "$KV.b."+want {
		t.Errorf("appendLedgerKey = %q", got)
	}
}

// TestLedgerFlushWrites: a ledger write the outbox holds back (here for
// an hour) goes out when FlushWrites asks, and its record completes.
func TestLedgerFlushWrites(t *testing.T) {
	nc := connect(t, startServer(t))
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	l, err := newLedger(context.Background(), nc, js, newOutbox(nc, time.Hour), "FLUSHED", 1)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	l.RecordAsync([]string{"order-shipped:42:ann@example.com"}, time.Hour, func(err error) { done <- err })
	select {
	case err := <-done:
		t.Fatalf("the record finished (%v) while the outbox held its write", err)
	case <-time.After(100 * time.Millisecond):
	}
	l.FlushWrites()
	if err := waitErr(t, done, "the record never finished after FlushWrites"); err != nil {
		t.Fatalf("RecordAsync: %v", err)
	}
	seen, err := l.Seen(context.Background(), []string{"order-shipped:42:ann@example.com"})
	if err != nil || !seen[0] {
		t.Fatalf("Seen after the flushed record = %v, %v; want [true]", seen, err)
	}
}

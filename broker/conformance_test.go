package broker

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Every idempotency ledger (JetStream, in memory) and every cron state
// store passes the same conformance suite: transports hand out either.

func ledgers(t *testing.T) map[string]KeyLedger {
	b, _ := setup(t, Options{})
	return map[string]KeyLedger{"jetstream": b.Keys(), "memory": NewMemoryLedger()}
}

func fireStores(t *testing.T) map[string]FireStore {
	b, _ := setup(t, Options{})
	return map[string]FireStore{"jetstream": b.Fires(), "memory": NewMemoryCronState()}
}

func TestLedgerConformance(t *testing.T) {
	for name, l := range ledgers(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			keys := []string{"order-shipped:42:ann@example.com", "weekly report/ü:bob@example.com", "", "k4"}
			check := func(what string, want ...bool) {
				t.Helper()
				got, err := l.Seen(ctx, keys)
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s: Seen = %v, want %v", what, got, want)
				}
			}
			check("fresh ledger", false, false, false, false)
			if err := l.Record(ctx, keys[:2], time.Hour); err != nil {
				t.Fatal(err)
			}
			check("after record", true, true, false, false)
			if err := l.Record(ctx, keys[3:], 50*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			check("a second record", true, true, false, true)
			time.Sleep(100 * time.Millisecond)
			check("after a short ttl", true, true, false, false)
			if got, err := l.Seen(ctx, nil); err != nil || len(got) != 0 {
				t.Errorf("Seen(nil) = %v, %v", got, err)
			}
			short, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			if err := l.Record(short, nil, time.Hour); err != nil {
				t.Errorf("Record(nil) = %v, want nil at once", err)
			}
		})
	}
}

func TestCronStateConformance(t *testing.T) {
	for name, cs := range fireStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			if _, ok, err := cs.LastFired(ctx, "weekly-report"); ok || err != nil {
				t.Fatalf("LastFired on empty state = %v, %v", ok, err)
			}
			t1 := time.Date(2027, 3, 28, 3, 0, 0, 0, time.FixedZone("CEST", 2*3600))
			steps := []struct {
				name string
				set  time.Time
				want time.Time
			}{
				{"first fire recorded", t1, t1},
				{"later fire advances", t1.Add(time.Hour), t1.Add(time.Hour)},
				{"earlier fire never moves it back", t1, t1.Add(time.Hour)},
			}
			for _, s := range steps {
				if err := cs.SetLastFired(ctx, "weekly-report", s.set); err != nil {
					t.Fatalf("%s: %v", s.name, err)
				}
				got, ok, err := cs.LastFired(ctx, "weekly-report")
				if err != nil || !ok || !got.Equal(s.want) {
					t.Errorf("%s: LastFired = %s, %v, %v; want %s", s.name, got, ok, err, s.want)
				}
			}
			if _, ok, _ := cs.LastFired(ctx, "other-rule"); ok {
				t.Error("state leaked to another rule")
			}
		})
	}
}

package broker

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func newSharedBudgets(t *testing.T, n int, opts BudgetOptions) []*SharedBudget {
	t.Helper()
	s := startServer(t)
	var out []*SharedBudget
	for range n {
		js, err := jetstream.New(connect(t, s))
		if err != nil {
			t.Fatal(err)
		}
		b, err := NewSharedBudget(context.Background(), js, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		out = append(out, b)
	}
	return out
}

// Three replicas spending one budget, each asking as often as it likes on
// a simulated clock: together they never exceed either window nor the
// burst, and they use at least 95% of it.
func TestSharedBudgetHoldsTheFleetToItsLimits(t *testing.T) {
	const perMin = 120 // 2 a second
	budgets := newSharedBudgets(t, 3, BudgetOptions{PerMinute: perMin, PerHour: 100000, Burst: 3})
	t0 := time.Now().Truncate(time.Second)
	const span = 3 * time.Minute
	var calls []time.Time
	for now := t0; now.Before(t0.Add(span)); now = now.Add(10 * time.Millisecond) {
		for _, b := range budgets {
			for {
				ok, _ := b.Reserve(now)
				if !ok {
					break
				}
				calls = append(calls, now)
			}
		}
	}
	for i, c := range calls {
		in, burst := 0, 0
		for _, d := range calls[:i+1] {
			if c.Sub(d) < time.Minute {
				in++
			}
			if c.Sub(d) < 500*time.Millisecond { // a quarter of the rate's period
				burst++
			}
		}
		if in > perMin {
			t.Fatalf("%d calls in the minute before %s, limit %d", in, c.Sub(t0), perMin)
		}
		if burst > 3+1 {
			t.Fatalf("%d calls within 500ms before %s: bursts beyond 3", burst, c.Sub(t0))
		}
	}
	// Budget over the span: the first window plus the rate for the rest.
	want := float64(perMin) * span.Minutes()
	if got := float64(len(calls)); got < 0.95*want {
		t.Errorf("%v calls in %s, want ≥ 95%% of %v", got, span, want)
	}
	t.Logf("%d calls in %s (%.1f%% of %v)", len(calls), span, 100*float64(len(calls))/want, want)
}

// The hour window binds across replicas too.
func TestSharedBudgetHourWindow(t *testing.T) {
	budgets := newSharedBudgets(t, 2, BudgetOptions{PerMinute: 600, PerHour: 50, Burst: 3})
	t0 := time.Now()
	granted := 0
	for now := t0; now.Before(t0.Add(2 * time.Minute)); now = now.Add(50 * time.Millisecond) {
		for _, b := range budgets {
			for {
				if ok, _ := b.Reserve(now); !ok {
					break
				}
				granted++
			}
		}
	}
	if granted != 50 {
		t.Errorf("%d calls granted within the hour, want 50", granted)
	}
	ok, at := budgets[0].Reserve(t0.Add(3 * time.Minute))
	if ok || at.Before(t0.Add(time.Hour)) {
		t.Errorf("after the hour's budget: %v, retry at +%s; want a refusal until the hour passes", ok, at.Sub(t0))
	}
}

// A pause set by one replica holds the others, even mid-lease.
func TestSharedBudgetPauseHoldsEveryReplica(t *testing.T) {
	budgets := newSharedBudgets(t, 2, BudgetOptions{PerMinute: 6000, PerHour: 1000000, Burst: 3})
	now := time.Now()
	if ok, _ := budgets[1].Reserve(now); !ok {
		t.Fatal("first call refused")
	}
	until := now.Add(3 * time.Second)
	budgets[0].Pause(until)
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, at := budgets[1].Reserve(now.Add(20 * time.Millisecond))
		if !ok && at.Equal(until) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other replica still spends during the pause (ok %v, at %v)", ok, at)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if ok, _ := budgets[1].Reserve(until.Add(10 * time.Millisecond)); !ok {
		t.Error("refused after the pause ended")
	}
	if u := budgets[1].Usage(); !u.PausedUntil.Equal(until) {
		t.Errorf("usage pause %v, want %v", u.PausedUntil, until)
	}
}

// Usage reports what the last lease saw, and answers at once even while a
// renewal holds the budget (a status page or a metrics scrape must not
// wait for NATS round trips).
func TestSharedBudgetUsageDoesNotWaitForARenewal(t *testing.T) {
	b := newSharedBudgets(t, 1, BudgetOptions{PerMinute: 600, PerHour: 18000, Burst: 3})[0]
	if u := b.Usage(); u.Minute != 0 || u.PerMinute != 600 || u.PerHour != 18000 {
		t.Errorf("fresh usage = %+v, want limits 600 and 18000 and nothing spent", u)
	}
	if ok, _ := b.Reserve(time.Now()); !ok {
		t.Fatal("first call refused")
	}
	want := b.Usage()
	if want.Minute < 1 || want.Hour < 1 {
		t.Errorf("usage after a lease = %+v, want the lease counted", want)
	}
	b.mu.Lock() // as a renewal waiting for NATS does
	defer b.mu.Unlock()
	got := make(chan Usage, 1)
	go func() { got <- b.Usage() }()
	select {
	case u := <-got:
		if u != want {
			t.Errorf("usage = %+v, want %+v", u, want)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Usage waited for the budget's lock")
	}
}

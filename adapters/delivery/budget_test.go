package delivery_test

import (
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/rules"
)

// TestBudgetUnderSustainedLoad queues many personalised messages (nothing to
// coalesce) and checks the timestamps of Kore calls against both rolling
// windows and the smooth rate.
func TestBudgetUnderSustainedLoad(t *testing.T) {
	tests := []struct {
		name                    string
		perMin, perHour, burst  int
		messages                int
		maxDuration             time.Duration // budget must also be used, not wasted
		wantMinute, wantHourCap bool
	}{
		{name: "minute window", perMin: 60, perHour: -1, burst: 3, messages: 200, maxDuration: 210 * time.Second},
		{name: "hour window", perMin: 20, perHour: 100, burst: 3, messages: 250, maxDuration: 2*time.Hour + 6*time.Minute},
		{name: "burst 1", perMin: 30, perHour: 1000, burst: 1, messages: 90, maxDuration: 190 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeKore{}
				opts := delivery.Options{PerMinute: tt.perMin, PerHour: tt.perHour, Burst: tt.burst}
				e, stop := start(t, f, broker.NewMemoryLedger(), opts)
				defer stop()
				t0 := time.Now()
				var ns []rules.Notification
				for i := range tt.messages {
					ns = append(ns, note(fmt.Sprint("ev-", i), "personal", fmt.Sprint("your code is ", i), "ann@example.com"))
				}
				outs := deliverAll(t, e, ns)
				if got := byStatus(outs)[delivery.StatusSent]; got != tt.messages {
					t.Fatalf("%d sent, want %d", got, tt.messages)
				}
				var at []time.Time
				for _, c := range f.Calls() {
					at = append(at, c.at)
				}
				if len(at) != tt.messages {
					t.Fatalf("%d calls, want %d", len(at), tt.messages)
				}
				checkWindow(t, at, tt.perMin, time.Minute)
				checkWindow(t, at, tt.perHour, time.Hour)
				checkSmooth(t, at, float64(tt.perMin)/60, tt.burst)
				if took := at[len(at)-1].Sub(t0); took > tt.maxDuration {
					t.Errorf("took %v, want at most %v: budget left unused", took, tt.maxDuration)
				}
			})
		})
	}
}

// checkWindow fails if any window of length w holds more than limit calls.
func checkWindow(t *testing.T, at []time.Time, limit int, w time.Duration) {
	t.Helper()
	if limit <= 0 {
		return
	}
	for i := 0; i+limit < len(at); i++ {
		if d := at[i+limit].Sub(at[i]); d < w {
			t.Fatalf("calls %d..%d (%d calls) within %v, limit %d per %v", i, i+limit, limit+1, d, limit, w)
		}
	}
}

// checkSmooth fails if any interval holds more calls than a token bucket of
// rate per second and the given burst allows.
func checkSmooth(t *testing.T, at []time.Time, rate float64, burst int) {
	t.Helper()
	for i := range at {
		for j := i; j < len(at); j++ {
			allowed := float64(burst) + rate*at[j].Sub(at[i]).Seconds() + 1e-6
			if n := float64(j - i + 1); n > allowed {
				t.Fatalf("%v calls in %v (from call %d), token bucket allows %.2f", n, at[j].Sub(at[i]), i, allowed)
			}
		}
	}
}

func TestLocalBudgetUsage(t *testing.T) {
	b := delivery.NewLocalBudget(10, 100, 5, time.Now())
	for range 3 {
		if ok, _ := b.Reserve(time.Now()); !ok {
			t.Fatal("Reserve refused within the burst")
		}
	}
	u := b.Usage()
	if u.Minute != 3 || u.Hour != 3 || u.PerMinute != 10 || u.PerHour != 100 || !u.PausedUntil.IsZero() {
		t.Errorf("Usage() = %+v, want 3 of 10/min, 3 of 100/h, no pause", u)
	}
	until := time.Now().Add(time.Minute)
	b.Pause(until)
	if got := b.Usage().PausedUntil; !got.Equal(until) {
		t.Errorf("PausedUntil = %v, want %v", got, until)
	}
}

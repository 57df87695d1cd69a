package delivery_test

import (
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/rules"
)

func TestBroadcastCostsCeilNOver1000Calls(t *testing.T) {
	tests := []struct {
		identities int
		wantSizes  []int
	}{
		{1, []int{1}},
		{1000, []int{1000}},
		{1001, []int{1000, 1}},
		{2500, []int{1000, 1000, 500}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.identities), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeKore{}
				e, stop := start(t, f, broker.NewMemoryLedger(), delivery.Options{})
				defer stop()
				ids := users("u", tt.identities)
				outs := deliverAll(t, e, []rules.Notification{note("ev", "broadcast", "hello all", ids...)})

				var sizes []int
				for _, c := range f.Calls() {
					sizes = append(sizes, len(c.req.Identities))
				}
				slices.SortFunc(sizes, func(a, b int) int { return b - a })
				if !slices.Equal(sizes, tt.wantSizes) {
					t.Errorf("call sizes %v, want %v", sizes, tt.wantSizes)
				}
				wantEachOnce(t, f, ids)
				if got := byStatus(outs)[delivery.StatusSent]; got != tt.identities {
					t.Errorf("%d identities sent in outcomes, want %d", got, tt.identities)
				}
				if len(outs) != len(tt.wantSizes) {
					t.Errorf("%d outcomes, want one per call (%d)", len(outs), len(tt.wantSizes))
				}
			})
		})
	}
}

func TestCoalescesSameMessageAcrossEvents(t *testing.T) {
	tests := []struct {
		name      string
		opts      delivery.Options
		maxCalls  int
		minFirstC time.Duration // earliest first call
	}{
		{"batch window 1s", delivery.Options{BatchWindow: time.Second}, 2, time.Second},
		{"budget-bound 60/min", delivery.Options{PerMinute: 60}, 5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeKore{}
				e, stop := start(t, f, broker.NewMemoryLedger(), tt.opts)
				defer stop()
				t0 := time.Now()
				ids := users("u", 40)
				var ns []rules.Notification
				for i, id := range ids {
					ns = append(ns, note(fmt.Sprint("ev-", i), "reminder", "file your expenses", id))
				}
				outs := deliverAll(t, e, ns)

				calls := f.Calls()
				t.Logf("%d calls", len(calls))
				if len(calls) > tt.maxCalls {
					t.Errorf("%d calls, want at most %d", len(calls), tt.maxCalls)
				}
				if first := calls[0].at.Sub(t0); first < tt.minFirstC {
					t.Errorf("first call after %v, want at least %v", first, tt.minFirstC)
				}
				wantEachOnce(t, f, ids)
				if got := byStatus(outs)[delivery.StatusSent]; got != 40 {
					t.Errorf("%d identities sent in outcomes, want 40", got)
				}
			})
		})
	}
}

func TestIdleEngineSendsAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeKore{}
		e, stop := start(t, f, broker.NewMemoryLedger(), delivery.Options{})
		defer stop()
		t0 := time.Now()
		outs, err := e.Deliver(t.Context(), []rules.Notification{note("ev", "r", "hi", "ann@example.com")}, delivery.DeliverOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(t0); waited != 0 {
			t.Errorf("Deliver took %v on an idle engine, want no wait", waited)
		}
		if len(outs) != 1 || outs[0].Status != delivery.StatusSent || outs[0].JobID != "job-1" || outs[0].Attempts != 1 {
			t.Errorf("outcomes %+v, want one sent with job-1", outs)
		}
	})
}

func TestSameIdentityFromTwoRulesIsCarriedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeKore{}
		e, stop := start(t, f, broker.NewMemoryLedger(), delivery.Options{})
		defer stop()
		ns := []rules.Notification{
			note("ev", "first", "same text", "ann@example.com"),
			note("ev", "second", "same text", "ann@example.com", "bob@example.com"),
		}
		outs, err := e.Deliver(t.Context(), ns, delivery.DeliverOptions{})
		if err != nil {
			t.Fatal(err)
		}
		wantEachOnce(t, f, []string{"ann@example.com", "bob@example.com"})
		if len(f.Calls()) != 1 {
			t.Errorf("%d calls, want 1", len(f.Calls()))
		}
		if len(outs) != 2 || outs[0].Rule != "first" || outs[1].Rule != "second" ||
			outs[0].Status != delivery.StatusSent || outs[1].Status != delivery.StatusSent ||
			len(outs[1].Identities) != 2 {
			t.Errorf("outcomes %+v, want both rules sent", outs)
		}
	})
}

package delivery_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/rules"
)

func TestLedgerSuppressesDuplicates(t *testing.T) {
	withKey := func(n rules.Notification) rules.Notification {
		n.DedupKey, n.DedupFor = "order-42", time.Hour
		return n
	}
	tests := []struct {
		name        string
		n           rules.Notification
		recorded    string // the dedup key already recorded for ann
		redelivered bool
		wantLookups int
		wantSent    []string
		wantDup     int
		wantTTL     time.Duration
	}{
		{"custom key found", withKey(note("ev-2", "r", "shipped", "ann", "bob")), "order-42", false, 1, []string{"bob"}, 1, time.Hour},
		{"custom key not found", withKey(note("ev-2", "r", "shipped", "ann", "bob")), "order-41", false, 1, []string{"ann", "bob"}, 0, time.Hour},
		{"event key, first delivery skips lookup", note("ev-1", "r", "shipped", "ann", "bob"), "event:ev-1", false, 0, []string{"ann", "bob"}, 0, delivery.DefaultDedupFor},
		{"event key, redelivery finds it", note("ev-1", "r", "shipped", "ann", "bob"), "event:ev-1", true, 1, []string{"bob"}, 1, delivery.DefaultDedupFor},
		{"all found, no call", withKey(note("ev-2", "r", "shipped", "ann")), "order-42", false, 1, nil, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := &fakeKore{}
				l := &spyLedger{}
				_ = l.MemoryLedger.Record(t.Context(), []string{delivery.IdempotencyKey("r", tt.recorded, "ann")}, time.Hour)
				e, stop := start(t, f, l, delivery.Options{})
				defer stop()
				outs, err := e.Deliver(t.Context(), []rules.Notification{tt.n}, delivery.DeliverOptions{Redelivered: tt.redelivered})
				if err != nil {
					t.Fatal(err)
				}
				if got := l.lookups(); got != tt.wantLookups {
					t.Errorf("%d ledger lookups, want %d", got, tt.wantLookups)
				}
				wantEachOnce(t, f, tt.wantSent)
				if got := byStatus(outs)[delivery.StatusDuplicate]; got != tt.wantDup {
					t.Errorf("%d duplicates, want %d", got, tt.wantDup)
				}
				if tt.wantTTL != 0 && (len(l.ttls) != 1 || l.ttls[0] != tt.wantTTL) {
					t.Errorf("recorded with ttls %v, want [%v]", l.ttls, tt.wantTTL)
				}
				// What was sent is now recorded: a redelivery sends nothing.
				before := len(f.Calls())
				outs, err = e.Deliver(t.Context(), []rules.Notification{tt.n}, delivery.DeliverOptions{Redelivered: true})
				if err != nil || len(f.Calls()) != before || byStatus(outs)[delivery.StatusDuplicate] != len(tt.n.Identities) {
					t.Errorf("redelivery: %d new calls, outcomes %+v, err %v; want all duplicates", len(f.Calls())-before, outs, err)
				}
			})
		})
	}
}

func TestRacingDuplicatesAreSentOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		f := &fakeKore{gate: gate}
		e, stop := start(t, f, broker.NewMemoryLedger(), delivery.Options{})
		defer stop()
		n := note("ev-1", "r", "shipped", "ann")
		n.DedupKey = "order-42"
		outs := make([][]delivery.Outcome, 2)
		done := make(chan struct{}, 2)
		for i := range 2 {
			go func() {
				m := n
				m.EventID = []string{"ev-1", "ev-2"}[i]
				var err error
				outs[i], err = e.Deliver(context.Background(), []rules.Notification{m}, delivery.DeliverOptions{})
				if err != nil {
					t.Error(err)
				}
				done <- struct{}{}
			}()
			synctest.Wait() // the first is in flight before the second starts
		}
		close(gate)
		<-done
		<-done
		if got := len(f.Calls()); got != 1 {
			t.Fatalf("%d calls, want 1", got)
		}
		first, second := outs[0][0], outs[1][0]
		if first.Status != delivery.StatusSent || second.Status != delivery.StatusDuplicate || second.JobID != first.JobID {
			t.Errorf("outcomes %+v and %+v, want sent, then duplicate of the same job", first, second)
		}
	})
}

func TestSameKeyTwiceInOneDeliveryIsSentOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeKore{}
		e, stop := start(t, f, broker.NewMemoryLedger(), delivery.Options{})
		defer stop()
		a, b := note("ev", "r", "one text", "ann"), note("ev", "r", "other text", "ann")
		outs, err := e.Deliver(t.Context(), []rules.Notification{a, b}, delivery.DeliverOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(f.Calls()); got != 1 {
			t.Errorf("%d calls, want 1", got)
		}
		if got := byStatus(outs); got[delivery.StatusSent] != 1 || got[delivery.StatusDuplicate] != 1 {
			t.Errorf("statuses %v, want one sent and one duplicate", got)
		}
	})
}

func TestLedgerFailureReturnsError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeKore{}
		boom := errors.New("kv unavailable")
		e, stop := start(t, f, &spyLedger{seenErr: boom}, delivery.Options{})
		defer stop()
		_, err := e.Deliver(t.Context(), []rules.Notification{note("ev", "r", "hi", "ann")}, delivery.DeliverOptions{Redelivered: true})
		if !errors.Is(err, boom) {
			t.Errorf("err = %v, want the ledger error", err)
		}
		if len(f.Calls()) != 0 {
			t.Errorf("%d calls after a failed lookup, want none", len(f.Calls()))
		}
	})
}

package broker

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
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

// failingKV stands for a budget bucket that stops answering once fail is
// set.
type failingKV struct {
	jetstream.KeyValue
	fail           atomic.Bool
	reads, updates atomic.Int32
}

var errUnreachable = errors.New("bucket unreachable")

func (k *failingKV) Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
	if k.fail.Load() {
		return nil, errUnreachable
	}
	k.reads.Add(1)
	return k.KeyValue.Get(ctx, key)
}

func (k *failingKV) Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	if k.fail.Load() {
		return 0, errUnreachable
	}
	return k.KeyValue.Create(ctx, key, value, opts...)
}

func (k *failingKV) Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	if k.fail.Load() {
		return 0, errUnreachable
	}
	k.updates.Add(1)
	return k.KeyValue.Update(ctx, key, value, rev)
}

// While work keeps coming, the next lease is taken before the current one
// is spent: once it is in, calls go on through the end of both leases
// although the bucket no longer answers, and nothing waits for it.
func TestSharedBudgetLeasesAhead(t *testing.T) {
	var failures atomic.Int32
	b := newSharedBudgets(t, 1, BudgetOptions{PerMinute: 6000, PerHour: 1000000, Burst: 3,
		OnError: func(error) { failures.Add(1) }})[0]
	kv := &failingKV{KeyValue: b.kv}
	b.kv = kv
	const every = 10 * time.Millisecond // 6000 a minute
	t0 := time.Now()
	now := t0
	for ; ; now = now.Add(every) {
		if ok, at := b.Reserve(now); !ok {
			t.Fatalf("refused at +%s (retry at +%s) while leasing", now.Sub(t0), at.Sub(t0))
		}
		b.mu.Lock()
		ahead, fetching := b.next.n, b.fetching
		b.mu.Unlock()
		if ahead > 0 {
			break
		}
		if fetching {
			if err := waitUntil(5*time.Second, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return !b.fetching }); err != nil {
				t.Fatal(err)
			}
		}
		if now.Sub(t0) > leaseHorizon {
			t.Fatalf("no lease taken ahead by +%s", now.Sub(t0))
		}
	}
	b.mu.Lock()
	end, ahead := b.next.slot(b.next.n-1), b.next.n
	b.mu.Unlock()
	kv.fail.Store(true)
	calls := 0
	for now = now.Add(every); !now.After(end); now = now.Add(every) {
		for {
			start := time.Now()
			ok, _ := b.Reserve(now)
			if d := time.Since(start); d > budgetTimeout/2 {
				t.Fatalf("Reserve waited %s for the bucket", d)
			}
			if !ok {
				break
			}
			calls++
		}
	}
	if calls < ahead {
		t.Errorf("%d calls after the bucket stopped answering, want at least the %d leased ahead", calls, ahead)
	}
	if ok, _ := b.Reserve(end.Add(time.Second)); ok {
		t.Error("a call past both leases was granted by an unreachable bucket")
	}
	if failures.Load() == 0 {
		t.Error("the failed lease was not reported")
	}
}

// A lease counts its tokens per window slot as counting them one by one
// does.
func TestLeasePerSlot(t *testing.T) {
	start := time.Date(2026, 12, 1, 9, 0, 59, 987654321, time.UTC)
	tests := []lease{
		{start: start, burst: 3, interval: 10 * time.Millisecond, n: 28},
		{start: start, burst: 1, interval: 6 * time.Microsecond, n: 41667},
		{start: start, burst: 3, interval: 333 * time.Millisecond, n: 40},
		{start: start, burst: 2, interval: time.Second, n: 5},
		{start: start, burst: 3, interval: 1500 * time.Millisecond, n: 2}, // fewer than the burst
		{start: start.Truncate(time.Second), burst: 1, interval: 250 * time.Millisecond, n: 9},
		{start: start, burst: maxLease, interval: 0, n: maxLease},
	}
	for _, l := range tests {
		for _, size := range []time.Duration{secondSlot, hourSlot} {
			want := map[int64]int{}
			var order []int64
			for i := range l.n {
				at := l.slot(i).Truncate(size).UnixNano()
				if want[at] == 0 {
					order = append(order, at)
				}
				want[at]++
			}
			var got []int64
			total := 0
			l.perSlot(size, func(at int64, k int) {
				got = append(got, at)
				total += k
				if k != want[at] {
					t.Errorf("lease %+v, slots of %s: %d tokens at %d, want %d", l, size, k, at, want[at])
				}
			})
			if !slices.Equal(got, order) || total != l.n {
				t.Errorf("lease %+v, slots of %s: slots %v (%d tokens), want %v (%d)", l, size, got, total, order, l.n)
			}
		}
	}
}

// A replica leasing alone writes each lease over the state it wrote last:
// one round trip a lease, no read. Once another replica has leased, its
// next write fails and it reads the state again.
func TestSharedBudgetLeasesInOneRoundTrip(t *testing.T) {
	budgets := newSharedBudgets(t, 2, BudgetOptions{PerMinute: 6000, PerHour: 1000000, Burst: 3})
	kv := &failingKV{KeyValue: budgets[0].kv}
	budgets[0].kv = kv
	now := time.Now()
	spend := func(b *SharedBudget, span time.Duration) {
		t.Helper()
		for end := now.Add(span); now.Before(end); now = now.Add(10 * time.Millisecond) {
			b.Reserve(now)
			if err := waitUntil(5*time.Second, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return !b.fetching }); err != nil {
				t.Fatal(err)
			}
		}
	}
	spend(budgets[0], time.Second)
	if r, u := kv.reads.Load(), kv.updates.Load(); r != 0 || u < 3 {
		t.Errorf("alone: %d reads and %d updates of the state, want none and one per lease (at least 3)", r, u)
	}
	now = now.Add(time.Second) // past both of its leases
	spend(budgets[1], 300*time.Millisecond)
	now = now.Add(time.Second)
	spend(budgets[0], 300*time.Millisecond)
	if r := kv.reads.Load(); r != 1 {
		t.Errorf("after another replica leased: %d reads of the state, want 1", r)
	}
}

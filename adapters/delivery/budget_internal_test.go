package delivery

import (
	"testing"
	"time"
)

func TestBudgetNext(t *testing.T) {
	type step struct {
		at       time.Duration // since start
		wantWait time.Duration // how long until a call may start
		take     bool
	}
	tests := []struct {
		name                   string
		perMin, perHour, burst int
		steps                  []step
	}{
		{
			name: "burst then smooth rate", perMin: 60, perHour: -1, burst: 3,
			steps: []step{
				{0, 0, true}, {0, 0, true}, {0, 0, true},
				{0, time.Second, false},
				{500 * time.Millisecond, 500 * time.Millisecond, false},
				{time.Second, 0, true},
				{time.Second, time.Second, false},
			},
		},
		{
			name: "minute window binds before the bucket", perMin: 2, perHour: -1, burst: 2,
			steps: []step{
				{0, 0, true}, {0, 0, true},
				// the bucket refills one token in 30s; the window opens
				// at 61s plus one slot of resolution
				{30 * time.Second, 31*time.Second + slotLength, false},
				{61 * time.Second, slotLength, false},
				{61*time.Second + slotLength, 0, true},
			},
		},
		{
			name: "hour window", perMin: 60, perHour: 2, burst: 3,
			steps: []step{
				{0, 0, true}, {time.Minute, 0, true},
				{2 * time.Minute, time.Hour - 2*time.Minute + windowMargin + slotLength, false},
				{time.Hour + windowMargin + slotLength, 0, true},
			},
		},
		{
			name: "unlimited", perMin: -1, perHour: -1, burst: 1,
			steps: []step{{0, 0, true}, {0, 0, true}, {0, 0, true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			b := NewLocalBudget(tt.perMin, tt.perHour, tt.burst, t0)
			for i, s := range tt.steps {
				now := t0.Add(s.at)
				if got := b.next(now).Sub(now); got != s.wantWait {
					t.Fatalf("step %d at %v: wait %v, want %v", i, s.at, got, s.wantWait)
				}
				if s.take {
					b.take(now)
				}
			}
		})
	}
}

// The window must never let more than limit calls into any span of its
// length, however the calls fall on slot boundaries.
func TestRollingWindowNeverExceedsLimit(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const limit = 5
	length := 2 * time.Second
	w := newRollingWindow(limit, length, t0)
	var calls []time.Time
	now := t0
	for step := range 4000 {
		now = now.Add(time.Duration(step%7+1) * 3 * time.Millisecond)
		if f := w.free(now); !f.IsZero() && f.After(now) {
			continue
		}
		w.add(now)
		calls = append(calls, now)
		in := 0
		for _, c := range calls {
			if now.Sub(c) < length {
				in++
			}
		}
		if in > limit {
			t.Fatalf("%d calls within %v at %v", in, length, now.Sub(t0))
		}
	}
	if len(calls) < 4000*3/1000*limit/2 {
		t.Fatalf("only %d calls: the window holds back far too much", len(calls))
	}
}

func TestRollingWindowMemoryIsFixed(t *testing.T) {
	w := newRollingWindow(100_000_000, time.Hour+windowMargin, time.Now())
	if n := len(w.counts); n > 40_000 {
		t.Fatalf("%d slots for an hour window", n)
	}
}

func TestBudgetHold(t *testing.T) {
	t0 := time.Now()
	b := NewLocalBudget(600, 18000, 3, t0)
	b.hold(t0.Add(2 * time.Second))
	b.hold(t0.Add(time.Second)) // an earlier hold does not shorten it
	if got := b.next(t0).Sub(t0); got != 2*time.Second {
		t.Errorf("wait %v, want 2s", got)
	}
}

func TestBackoffCeilings(t *testing.T) {
	o := Options{}.withDefaults()
	for attempt, ceil := range map[int]time.Duration{
		1: 500 * time.Millisecond, 2: time.Second, 4: 4 * time.Second, 20: 5 * time.Minute, 200: 5 * time.Minute,
	} {
		for range 200 {
			if d := o.backoff(attempt); d < 0 || d > ceil {
				t.Fatalf("attempt %d: backoff %v outside [0, %v]", attempt, d, ceil)
			}
		}
	}
}

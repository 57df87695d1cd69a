package kore

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestCallDeadlines(t *testing.T) {
	const timeout = 10 * time.Second
	start := time.Now()
	parent, stop := context.WithCancel(context.Background())
	defer stop()
	other, stopOther := context.WithCancel(context.Background())
	defer stopOther()
	d := newCallDeadlines(timeout)

	deadline := func(ctx context.Context) time.Time {
		t.Helper()
		dl, ok := ctx.Deadline()
		if !ok {
			t.Fatal("context has no deadline")
		}
		return dl
	}
	within := func(ctx context.Context, now time.Time) {
		t.Helper()
		if dl := deadline(ctx); dl.Before(now.Add(timeout)) || dl.After(now.Add(timeout+d.grain)) {
			t.Errorf("deadline %s after the call's start, want within [%s, %s]", dl.Sub(now), timeout, timeout+d.grain)
		}
	}

	first, done := d.context(parent, start)
	done()
	within(first, start)
	if first.Err() != nil {
		t.Fatalf("a shared context ended when its first call finished: %v", first.Err())
	}
	second, _ := d.context(parent, start.Add(d.grain/2))
	if second != first {
		t.Error("a call within the grain on the same parent got a context of its own")
	}
	within(second, start.Add(d.grain/2))
	later := start.Add(d.grain + time.Millisecond)
	third, _ := d.context(parent, later)
	if third == first {
		t.Error("a call past the shared deadline's slack reused it")
	}
	within(third, later)
	// A call on another parent while the first's shared context is
	// current gets a context of its own, ended by its done.
	o, doneO := d.context(other, later)
	if o == third {
		t.Error("a call on another parent got the first parent's context")
	}
	doneO()
	if o.Err() == nil {
		t.Error("another parent's call context lives on after its done")
	}
	if again, _ := d.context(parent, later); again != third {
		t.Error("a call on another parent replaced the first parent's shared context")
	}

	// A parent that is not a pointer cannot key a shared context: each
	// call gets its own, released by its done.
	plain := context.WithoutCancel(parent)
	a, doneA := d.context(plain, later)
	b, doneB := d.context(plain, later)
	if a == b {
		t.Error("two calls on a non-pointer parent share a context")
	}
	doneA()
	doneB()
	if a.Err() == nil {
		t.Error("an unshared context lives on after its call's done")
	}

	// Past the shared context's slack another parent takes the sharing
	// over; its end ends its shared context, and the next call does not
	// reuse it.
	afterSlack := later.Add(d.grain + time.Millisecond)
	taken, _ := d.context(other, afterSlack)
	if shared, _ := d.context(other, afterSlack); shared != taken {
		t.Error("another parent did not take the sharing over past the slack")
	}
	stopOther()
	if taken.Err() == nil {
		t.Error("a context of a cancelled parent is alive")
	}
	fresh, _ := d.context(parent, afterSlack)
	if fresh.Err() != nil {
		t.Errorf("the next call on a live parent got an ended context: %v", fresh.Err())
	}
}

// TestCallDeadlineCause: a shared context ends with errRequestTimeout as
// its cause, which is how a timed-out call is told from a cancelled one.
func TestCallDeadlineCause(t *testing.T) {
	parent, stop := context.WithCancel(context.Background())
	defer stop()
	d := newCallDeadlines(20 * time.Millisecond)
	ctx, done := d.context(parent, time.Now())
	done()
	if again, _ := d.context(parent, time.Now()); again != ctx {
		t.Fatal("the second call did not share the first one's context")
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the context did not end at its deadline")
	}
	if !errors.Is(context.Cause(ctx), errRequestTimeout) {
		t.Errorf("cause = %v, want errRequestTimeout", context.Cause(ctx))
	}
}

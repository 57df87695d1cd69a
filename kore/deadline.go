package kore

import (
	"context"
	"reflect"
	"sync"
	"time"
)

// callDeadlines gives calls their timeout contexts. Calls made on one
// parent context within a short span share one: its deadline is the
// latest of theirs, at most a hundredth of the timeout later than a call's
// own. A context per call would cost each call a timer, and the transport's
// own context for the request a fresh table of children in it; a shared
// one costs neither. A shared context is never cancelled early: it ends at
// its deadline, when every call that used it has timed out or finished.
type callDeadlines struct {
	timeout time.Duration
	grain   time.Duration // how much later than a call's own a shared deadline may be

	mu     sync.Mutex
	parent context.Context // what shared was derived from
	end    time.Time       // shared's deadline
	shared context.Context
	// cancel is shared's; never called here: shared's deadline runs it,
	// once no call can be using shared any more.
	cancel context.CancelFunc
}

func newCallDeadlines(timeout time.Duration) *callDeadlines {
	return &callDeadlines{timeout: timeout, grain: max(timeout/100, time.Millisecond)}
}

// context returns a context for a call starting now on parent that ends,
// with errRequestTimeout as its cause, between timeout and timeout plus
// the grain from now (or when parent does), and the function to call
// when the call is done.
func (d *callDeadlines) context(parent context.Context, now time.Time) (context.Context, context.CancelFunc) {
	if !shareable(parent) {
		return d.own(parent)
	}
	end := now.Add(d.timeout)
	d.mu.Lock()
	defer d.mu.Unlock()
	current := d.shared != nil && !end.After(d.end) && d.shared.Err() == nil
	switch {
	case current && d.parent == parent:
		return d.shared, func() {}
	case current:
		// Another parent's shared context is current: this call gets one
		// of its own, so that calls alternating between parents never
		// leave a shared context (and its timer) per call behind.
		return d.own(parent)
	}
	d.end = end.Add(d.grain)
	d.shared, d.cancel = context.WithDeadlineCause(parent, d.end, errRequestTimeout)
	d.parent = parent
	return d.shared, func() {}
}

// own returns a context of the call's own on parent, ended by the
// returned function.
func (d *callDeadlines) own(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(parent, d.timeout, errRequestTimeout)
}

// shareable reports whether parent can key a shared context: a pointer,
// so comparing it is an identity check that cannot panic.
func shareable(parent context.Context) bool {
	return reflect.TypeOf(parent).Kind() == reflect.Pointer
}

package delivery

import "time"

// slotLength is the resolution of a rolling window. A call is counted from
// the start of its slot to the end of the slot a window later, so a window
// holds back at most one slot longer than needed and never less: the limit
// can never be exceeded, and memory stays fixed (36,011 slots for an hour)
// whatever the budget.
const slotLength = 100 * time.Millisecond

// rollingWindow counts calls in fixed slots over a rolling window and says
// when the window has room for one more call.
type rollingWindow struct {
	limit  int
	span   int64 // slots a call stays counted after its own
	origin time.Time
	counts []int // ring indexed by absolute slot
	oldest int64 // oldest slot still counted
	total  int
}

// newRollingWindow returns a window of length allowing limit calls, or nil
// (unlimited) when limit is not positive.
func newRollingWindow(limit int, length time.Duration, now time.Time) *rollingWindow {
	if limit <= 0 {
		return nil
	}
	span := int64(length / slotLength)
	return &rollingWindow{limit: limit, span: span, origin: now, counts: make([]int, span+1)}
}

func (w *rollingWindow) slot(t time.Time) int64 {
	d := t.Sub(w.origin)
	if d < 0 {
		return 0
	}
	return int64(d / slotLength)
}

// expire stops counting the slots that left the window by slot s.
func (w *rollingWindow) expire(s int64) {
	first := s - w.span
	if first-w.oldest >= int64(len(w.counts)) {
		clear(w.counts)
		w.total, w.oldest = 0, first
		return
	}
	for ; w.oldest < first; w.oldest++ {
		i := w.oldest % int64(len(w.counts))
		w.total -= w.counts[i]
		w.counts[i] = 0
	}
}

// add counts one call at now.
func (w *rollingWindow) add(now time.Time) {
	if w == nil {
		return
	}
	s := w.slot(now)
	w.expire(s)
	w.counts[s%int64(len(w.counts))]++
	w.total++
}

// free returns when the window has room for one more call: zero when it
// has room now.
func (w *rollingWindow) free(now time.Time) time.Time {
	if w == nil {
		return time.Time{}
	}
	w.expire(w.slot(now))
	over := w.total - w.limit + 1
	for s := w.oldest; over > 0; s++ {
		over -= w.counts[s%int64(len(w.counts))]
		if over <= 0 {
			return w.origin.Add(time.Duration(s+w.span+1) * slotLength)
		}
	}
	return time.Time{}
}

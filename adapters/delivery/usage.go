package delivery

import (
	"time"

	"github.com/korelay/korelay/broker"
)

// Usage reports the calls counted in both rolling windows now, the limits
// and any pause, as the shared budget's Usage does (for the status page).
func (b *LocalBudget) Usage() broker.Usage {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	u := broker.Usage{Minute: b.minute.count(now), Hour: b.hour.count(now)}
	if b.minute != nil {
		u.PerMinute = b.minute.limit
	}
	if b.hour != nil {
		u.PerHour = b.hour.limit
	}
	if b.holdUntil.After(now) {
		u.PausedUntil = b.holdUntil
	}
	return u
}

// count is how many calls the window counts at now (0 when unlimited).
func (w *rollingWindow) count(now time.Time) int {
	if w == nil {
		return 0
	}
	w.expire(w.slot(now))
	return w.total
}

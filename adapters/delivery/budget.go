package delivery

import (
	"math"
	"time"
)

// windowMargin is added to both rolling windows so that calls spaced exactly
// one window apart here are not seen closer together by Kore, whose clock
// counts arrivals, after a network delay that varies from call to call.
const windowMargin = time.Second

// budget is the spending plan for Kore calls: rolling windows of one
// minute and one hour, and a token bucket that spreads calls at perMin/60 a
// second with a small burst. It is used by the dispatcher only, under the
// engine's lock.
type budget struct {
	minute, hour  *rollingWindow // nil: unlimited
	rate          float64        // tokens a second; 0: unlimited
	burst, tokens float64
	last          time.Time // last refill
	holdUntil     time.Time // Kore asked us to wait (Retry-After)
}

func newBudget(perMin, perHour, burst int, now time.Time) *budget {
	b := &budget{
		minute: newRollingWindow(perMin, time.Minute+windowMargin, now),
		hour:   newRollingWindow(perHour, time.Hour+windowMargin, now),
		burst:  float64(burst),
		tokens: float64(burst),
		last:   now,
	}
	if perMin > 0 {
		b.rate = float64(perMin) / 60
	}
	return b
}

// next returns the earliest time a call may start (now if one may start now).
func (b *budget) next(now time.Time) time.Time {
	at := now
	for _, t := range [...]time.Time{
		b.holdUntil,
		b.minute.free(now),
		b.hour.free(now),
		b.tokenAt(now),
	} {
		if t.After(at) {
			at = t
		}
	}
	return at
}

// take spends one call at now.
func (b *budget) take(now time.Time) {
	if b.rate > 0 {
		b.refill(now)
		b.tokens--
	}
	b.minute.add(now)
	b.hour.add(now)
}

// hold stops all calls until t.
func (b *budget) hold(t time.Time) {
	if t.After(b.holdUntil) {
		b.holdUntil = t
	}
}

// tokenAt returns when the bucket holds a whole token.
func (b *budget) tokenAt(now time.Time) time.Time {
	if b.rate == 0 {
		return time.Time{}
	}
	b.refill(now)
	const epsilon = 1e-9
	if b.tokens >= 1-epsilon {
		return now
	}
	need := (1 - b.tokens) / b.rate
	return now.Add(time.Duration(math.Ceil(need * float64(time.Second))))
}

func (b *budget) refill(now time.Time) {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.burst, b.tokens+d.Seconds()*b.rate)
		b.last = now
	}
}

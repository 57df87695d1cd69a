package delivery

import (
	"math"
	"sync"
	"time"

	"github.com/korelay/korelay/broker"
)

// Budget is the stage that paces calls to Kore: the dispatcher asks it
// before every call (notify or status poll). LocalBudget is one process's
// own; a budget shared by several replicas can take its place without
// touching the other stages. Implementations are safe for concurrent use.
type Budget interface {
	// Reserve spends one call at now and reports true, or reports false
	// and the earliest time worth asking again.
	Reserve(now time.Time) (ok bool, retryAt time.Time)
	// Pause holds every call until t: Kore said to wait (Retry-After).
	Pause(t time.Time)
}

// windowMargin is added to both rolling windows so that calls spaced exactly
// one window apart here are not seen closer together by Kore, whose clock
// counts arrivals, after a network delay that varies from call to call.
const windowMargin = time.Second

// LocalBudget is one process's spending plan for Kore calls: rolling
// windows of one minute and one hour, and a token bucket that spreads calls
// at perMinute/60 a second with a small burst.
type LocalBudget struct {
	mu            sync.Mutex
	minute, hour  *rollingWindow // nil: unlimited
	rate          float64        // tokens a second; 0: unlimited
	burst, tokens float64
	last          time.Time // last refill
	holdUntil     time.Time // Kore asked us to wait (Retry-After)
}

// Compile-time checks: the local budget and the one replicas share are
// Budgets.
var (
	_ Budget = (*LocalBudget)(nil)
	_ Budget = (*broker.SharedBudget)(nil)
)

// NewLocalBudget returns a budget of perMinute and perHour calls (a limit
// below 1 is unlimited) spent at perMinute/60 a second with bursts of at
// most burst calls, starting at now.
func NewLocalBudget(perMinute, perHour, burst int, now time.Time) *LocalBudget {
	b := &LocalBudget{
		minute: newRollingWindow(perMinute, time.Minute+windowMargin, now),
		hour:   newRollingWindow(perHour, time.Hour+windowMargin, now),
		burst:  float64(burst),
		tokens: float64(burst),
		last:   now,
	}
	if perMinute > 0 {
		b.rate = float64(perMinute) / 60
	}
	return b
}

// Reserve spends one call at now if the windows, the bucket and any pause
// allow it; else it says when they will.
func (b *LocalBudget) Reserve(now time.Time) (bool, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if at := b.next(now); at.After(now) {
		return false, at
	}
	b.take(now)
	return true, now
}

// Pause holds every call until t; an earlier pause does not shorten a
// later one.
func (b *LocalBudget) Pause(t time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hold(t)
}

// next returns the earliest time a call may start (now if one may start
// now). The caller holds b.mu.
func (b *LocalBudget) next(now time.Time) time.Time {
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

// take spends one call at now. The caller holds b.mu.
func (b *LocalBudget) take(now time.Time) {
	if b.rate > 0 {
		b.refill(now)
		b.tokens--
	}
	b.minute.add(now)
	b.hour.add(now)
}

// hold stops all calls until t. The caller holds b.mu.
func (b *LocalBudget) hold(t time.Time) {
	if t.After(b.holdUntil) {
		b.holdUntil = t
	}
}

// tokenAt returns when the bucket holds a whole token.
func (b *LocalBudget) tokenAt(now time.Time) time.Time {
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

func (b *LocalBudget) refill(now time.Time) {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.burst, b.tokens+d.Seconds()*b.rate)
		b.last = now
	}
}

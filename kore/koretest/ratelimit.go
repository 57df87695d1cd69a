package koretest

import (
	"net/http"
	"sort"
	"strconv"
	"time"
)

// limiter keeps Kore's two rolling windows of the notify and notify-status
// APIs. Its caller holds Server.mu.
type limiter struct {
	perMinute, perHour int
	minute, hour       time.Duration
	admitted           []time.Time // in order
}

// admit counts a call at now when both windows have room; otherwise it
// returns how long until they do.
func (l *limiter) admit(now time.Time) (time.Duration, bool) {
	l.prune(now)
	var wait time.Duration
	for _, w := range [...]struct {
		limit int
		d     time.Duration
	}{{l.perMinute, l.minute}, {l.perHour, l.hour}} {
		if w.limit <= 0 {
			continue
		}
		in := l.within(now, w.d)
		if len(in) >= w.limit {
			wait = max(wait, in[len(in)-w.limit].Add(w.d).Sub(now))
		}
	}
	if wait > 0 {
		return wait, false
	}
	l.admitted = append(l.admitted, now)
	return 0, true
}

// within returns the admitted calls less than d before now.
func (l *limiter) within(now time.Time, d time.Duration) []time.Time {
	cut := now.Add(-d)
	i := sort.Search(len(l.admitted), func(i int) bool { return l.admitted[i].After(cut) })
	return l.admitted[i:]
}

// prune drops calls older than both windows.
func (l *limiter) prune(now time.Time) {
	keep := l.within(now, max(l.minute, l.hour))
	if len(keep) < len(l.admitted) {
		l.admitted = append(l.admitted[:0], keep...)
	}
}

// admit applies the rate limit to one call; the reply is the 429.
func (s *Server) admit() (reply, bool) {
	s.mu.Lock()
	wait, ok := s.limiter.admit(s.now())
	s.mu.Unlock()
	if ok {
		return reply{}, true
	}
	secs := max(int64((wait+time.Second-1)/time.Second), 1)
	rep := errorReply(http.StatusTooManyRequests, 429, RateLimitMessage)
	rep.header = http.Header{"Retry-After": {strconv.FormatInt(secs, 10)}}
	return rep, false
}

// MaxInWindow returns the most notify and notify-status requests the server
// received (accepted or not) within any span shorter than d, by the server's
// clock. Tests use it to assert that a client stayed within Kore's limits,
// e.g. srv.MaxInWindow(time.Minute) <= 600.
func (s *Server) MaxInWindow(d time.Duration) int {
	var times []time.Time
	for _, c := range s.Calls() {
		if c.Endpoint == notifyRoute.endpoint || c.Endpoint == statusRoute.endpoint {
			times = append(times, c.Time)
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	best, lo := 0, 0
	for hi := range times {
		for times[hi].Sub(times[lo]) >= d {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

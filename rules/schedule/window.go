package schedule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Window is a daily span of wall-clock time, such as quiet hours: from
// Start up to, not including, End. It crosses midnight when End is earlier
// than Start ("22:00-07:00"). It is immutable and safe for concurrent use.
type Window struct {
	spec       string
	start, end int // seconds since midnight
}

// ParseWindow parses "HH:MM-HH:MM", where either time may carry seconds
// (HH:MM:SS) and the hour may have one digit; blanks around the times are
// ignored. The two times must differ.
func ParseWindow(spec string) (Window, error) {
	a, b, ok := strings.Cut(spec, "-")
	if !ok {
		return Window{}, fmt.Errorf("window %q: want START-END such as 22:00-07:00", spec)
	}
	start, err := parseClock(strings.TrimSpace(a))
	if err != nil {
		return Window{}, fmt.Errorf("window %q: start: %w", spec, err)
	}
	end, err := parseClock(strings.TrimSpace(b))
	if err != nil {
		return Window{}, fmt.Errorf("window %q: end: %w", spec, err)
	}
	if start == end {
		return Window{}, fmt.Errorf("window %q: start and end are the same time", spec)
	}
	return Window{spec: spec, start: start, end: end}, nil
}

// parseClock reads H:MM, HH:MM or HH:MM:SS as seconds since midnight.
func parseClock(s string) (int, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, fmt.Errorf("%q is not a time of day (HH:MM or HH:MM:SS)", s)
	}
	limits := []int{23, 59, 59}
	secs := 0
	for i, p := range parts {
		n, err := clockField(p, i == 0)
		if err != nil || n > limits[i] {
			return 0, fmt.Errorf("%q is not a time of day (HH:MM or HH:MM:SS, 00:00 to 23:59:59)", s)
		}
		secs = secs*60 + n
	}
	if len(parts) == 2 {
		secs *= 60
	}
	return secs, nil
}

// clockField reads one field of a time of day: two digits, or one or two
// for the hour.
func clockField(p string, hour bool) (int, error) {
	if len(p) != 2 && !(hour && len(p) == 1) {
		return 0, errors.New("bad field")
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return 0, errors.New("bad field")
		}
	}
	return strconv.Atoi(p)
}

// String returns the window as written.
func (w Window) String() string { return w.spec }

// IsZero reports whether w is the zero Window (no window).
func (w Window) IsZero() bool { return w.start == w.end }

// contains reports whether a wall time of day, in seconds, is inside.
func (w Window) contains(secs int) bool {
	if w.start < w.end {
		return w.start <= secs && secs < w.end
	}
	return secs >= w.start || secs < w.end
}

// Contains reports whether t's wall clock in loc is inside the window.
func (w Window) Contains(t time.Time, loc *time.Location) bool {
	return !w.IsZero() && w.contains(secondsOfDay(toWall(t, loc)))
}

// End returns, for an instant t inside the window in loc, when the window
// ends: the first instant after t whose wall clock in loc is the window's
// end. An end that a DST spring-forward skips that day moves to the first
// instant after the gap, as cron fires do; an end that a fall-back repeats
// is its first occurrence after t. ok is false when t is outside the
// window.
func (w Window) End(t time.Time, loc *time.Location) (end time.Time, ok bool) {
	if loc == nil {
		loc = time.UTC
	}
	wall := toWall(t, loc)
	secs := secondsOfDay(wall)
	if w.IsZero() || !w.contains(secs) {
		return time.Time{}, false
	}
	y, m, d := wall.Date()
	if w.start > w.end && secs >= w.start {
		d++ // the window crosses midnight: it ends tomorrow
	}
	endWall := time.Date(y, m, d, 0, 0, w.end, 0, time.UTC)
	in := instants(endWall, loc)
	if len(in) == 0 {
		if g := gapEnd(endWall, loc); !g.IsZero() {
			return g, true
		}
		return time.Date(y, m, d, 0, 0, w.end, 0, loc), true
	}
	for _, e := range in {
		if e.After(t) {
			return e, true
		}
	}
	return in[len(in)-1], true
}

// secondsOfDay is a zone-free wall time's time of day, in seconds.
func secondsOfDay(w time.Time) int {
	h, m, s := w.Clock()
	return (h*60+m)*60 + s
}

package schedule

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
)

// Wall-clock times are represented zone-free as time.Time values in UTC:
// their fields are the wall clock's, and their arithmetic has no DST.

// horizon bounds the search for the next matching wall time. Feb 29 can be
// 8 years away (2096 to 2104); 12 years leaves room.
const horizon = 12

// starBit marks a day field written as "*" or "?" (robfig/cron's convention).
const starBit = 1 << 63

// matchWall returns the first wall time at or after w (whole seconds) that
// matches spec, or false if there is none before the horizon.
func matchWall(spec *cron.SpecSchedule, w time.Time) (time.Time, bool) {
	limit := w.AddDate(horizon, 0, 0)
	for w.Before(limit) {
		y, m, d := w.Date()
		switch {
		case spec.Month&(1<<uint(m)) == 0:
			w = time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
		case !dayMatches(spec, w):
			w = time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
		case spec.Hour&(1<<uint(w.Hour())) == 0:
			w = w.Truncate(time.Hour).Add(time.Hour)
		case spec.Minute&(1<<uint(w.Minute())) == 0:
			w = w.Truncate(time.Minute).Add(time.Minute)
		case spec.Second&(1<<uint(w.Second())) == 0:
			w = w.Add(time.Second)
		default:
			return w, true
		}
	}
	return time.Time{}, false
}

// dayMatches applies cron's day rule: if either day field is "*", both must
// match; otherwise either may.
func dayMatches(spec *cron.SpecSchedule, w time.Time) bool {
	dom := spec.Dom&(1<<uint(w.Day())) != 0
	dow := spec.Dow&(1<<uint(w.Weekday())) != 0
	if spec.Dom&starBit != 0 || spec.Dow&starBit != 0 {
		return dom && dow
	}
	return dom || dow
}

// checkFeasible reports ErrNeverFires if a field matches nothing or no month
// of the spec has any of its days of month (only possible when the day of
// week is "*").
func checkFeasible(spec *cron.SpecSchedule) error {
	if spec.Second == 0 || spec.Minute == 0 || spec.Hour == 0 || spec.Month&^uint64(starBit) == 0 {
		return fmt.Errorf("%w: a field matches nothing", ErrNeverFires)
	}
	if spec.Dow&starBit == 0 && spec.Dom&starBit == 0 {
		return nil // either field may match, and every weekday occurs monthly
	}
	if spec.Dow&^uint64(starBit) == 0 || spec.Dom&^uint64(starBit) == 0 {
		return ErrNeverFires
	}
	for m := time.January; m <= time.December; m++ {
		if spec.Month&(1<<uint(m)) == 0 {
			continue
		}
		for d := 1; d <= daysIn(m); d++ {
			if spec.Dom&(1<<uint(d)) != 0 {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: no month in the spec has those days", ErrNeverFires)
}

// daysIn is the most days month m can have (February in a leap year).
func daysIn(m time.Month) int {
	return time.Date(2000, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// toWall returns t's wall clock in loc as a zone-free time, truncated to
// the second.
func toWall(t time.Time, loc *time.Location) time.Time {
	y, mo, d := t.In(loc).Date()
	h, mi, s := t.In(loc).Clock()
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

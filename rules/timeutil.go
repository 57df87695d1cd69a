package rules

import (
	"fmt"
	"math"
	"time"
)

// dateOnly is the layout of a calendar date without a time.
const dateOnly = "2006-01-02"

// maxUnixSeconds bounds a time given as Unix seconds (year 9999).
const maxUnixSeconds = 253402300799

// timeLayouts are the string forms accepted where a time is expected; a
// form without a zone is UTC.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", dateOnly}

// toTime converts a time, a string in one of timeLayouts, or a number of
// seconds since the Unix epoch (in UTC).
func toTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case int:
		return unixTime(float64(x))
	case int64:
		return unixTime(float64(x))
	case float64:
		return unixTime(x)
	case string:
		for _, layout := range timeLayouts {
			if t, err := time.Parse(layout, x); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("cannot read %q as a time (use RFC 3339, YYYY-MM-DD or Unix seconds)", x)
	case nil:
		return time.Time{}, errNoValue
	}
	return time.Time{}, fmt.Errorf("cannot use %s as a time", describeValue(v))
}

// unixTime reads seconds since the Unix epoch, in UTC.
func unixTime(x float64) (time.Time, error) {
	if math.IsNaN(x) || math.Abs(x) > maxUnixSeconds {
		return time.Time{}, fmt.Errorf("cannot read %s as Unix seconds (beyond the year 9999)", formatFloat(x))
	}
	sec, frac := math.Modf(x)
	return time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC(), nil
}

// daysBetween counts calendar days from now's date to v's date, both in
// now's time zone; a date without a time ("2027-03-10") is that calendar
// day wherever now is.
func daysBetween(v any, now time.Time) (int, error) {
	var y int
	var m time.Month
	var d int
	if s, ok := v.(string); ok && len(s) == len(dateOnly) {
		t, err := time.Parse(dateOnly, s)
		if err != nil {
			return 0, fmt.Errorf("cannot read %q as a date (use YYYY-MM-DD or RFC 3339)", s)
		}
		y, m, d = t.Date()
	} else {
		t, err := toTime(v)
		if err != nil {
			return 0, err
		}
		y, m, d = t.In(now.Location()).Date()
	}
	ny, nm, nd := now.Date()
	diff := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(time.Date(ny, nm, nd, 0, 0, 0, 0, time.UTC))
	return int(diff / (24 * time.Hour)), nil
}

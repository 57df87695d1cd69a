package rules

import (
	"fmt"
	"time"
)

// dateOnly is the layout of a calendar date without a time.
const dateOnly = "2006-01-02"

// timeLayouts are the string forms accepted where a time is expected; a
// form without a zone is UTC.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", dateOnly}

// toTime converts a time or a string in one of timeLayouts.
func toTime(v any) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string:
		for _, layout := range timeLayouts {
			if t, err := time.Parse(layout, x); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("cannot read %q as a time (use RFC 3339 or YYYY-MM-DD)", x)
	case nil:
		return time.Time{}, errNoValue
	}
	return time.Time{}, fmt.Errorf("cannot use %T as a time", v)
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

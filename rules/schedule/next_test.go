package schedule

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load zone: %v", err)
	}
	return loc
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("parse time: %v", err)
	}
	return v
}

// fire formats a Fire as "RFC3339 [note]" for comparison.
func fire(f Fire) string {
	if f.Note == "" {
		return f.Time.Format(time.RFC3339)
	}
	return f.Time.Format(time.RFC3339) + " [" + f.Note + "]"
}

func TestNextN(t *testing.T) {
	for _, tc := range []struct {
		name, spec, zone, after string
		want                    []string
	}{{
		name: "daily 02:30 Berlin spring-forward", spec: "30 2 * * *", zone: "Europe/Berlin",
		after: "2026-03-28T12:00:00+01:00",
		want: []string{
			"2026-03-29T03:00:00+02:00 [02:30 does not exist (DST spring-forward); fires at 03:00]",
			"2026-03-30T02:30:00+02:00",
		},
	}, {
		name: "every 15 min Berlin spring-forward gap", spec: "*/15 * * * *", zone: "Europe/Berlin",
		after: "2026-03-29T01:40:00+01:00",
		want: []string{
			"2026-03-29T01:45:00+01:00",
			"2026-03-29T03:00:00+02:00 [02:00, 02:15, 02:30, 02:45 skipped by DST merged into one fire at 03:00]",
			"2026-03-29T03:15:00+02:00",
		},
	}, {
		name: "hourly Berlin fall-back", spec: "0 * * * *", zone: "Europe/Berlin",
		after: "2026-10-25T00:30:00+02:00",
		want: []string{
			"2026-10-25T01:00:00+02:00",
			"2026-10-25T02:00:00+02:00 [02:00 happens twice (DST fall-back); fires once, at the first]",
			"2026-10-25T03:00:00+01:00",
		},
	}, {
		name: "daily 02:30 Berlin fall-back", spec: "30 2 * * *", zone: "Europe/Berlin",
		after: "2026-10-24T12:00:00+02:00",
		want: []string{
			"2026-10-25T02:30:00+02:00 [02:30 happens twice (DST fall-back); fires once, at the first]",
			"2026-10-26T02:30:00+01:00",
		},
	}, {
		name: "daily 02:30 New York spring-forward", spec: "30 2 * * *", zone: "America/New_York",
		after: "2026-03-07T12:00:00-05:00",
		want: []string{
			"2026-03-08T03:00:00-04:00 [02:30 does not exist (DST spring-forward); fires at 03:00]",
			"2026-03-09T02:30:00-04:00",
		},
	}, {
		name: "every 15 min New York spring-forward gap", spec: "*/15 * * * *", zone: "America/New_York",
		after: "2026-03-08T01:50:00-05:00",
		want: []string{
			"2026-03-08T03:00:00-04:00 [02:00, 02:15, 02:30, 02:45 skipped by DST merged into one fire at 03:00]",
			"2026-03-08T03:15:00-04:00",
		},
	}, {
		name: "30 1 New York fall-back fires once", spec: "30 1 * * *", zone: "America/New_York",
		after: "2026-10-31T12:00:00-04:00",
		want: []string{
			"2026-11-01T01:30:00-04:00 [01:30 happens twice (DST fall-back); fires once, at the first]",
			"2026-11-02T01:30:00-05:00",
		},
	}, {
		name: "30 1 New York from inside the repeated hour", spec: "30 1 * * *", zone: "America/New_York",
		after: "2026-11-01T01:10:00-05:00", // second 01:10: the first 01:30 has passed
		want:  []string{"2026-11-02T01:30:00-05:00"},
	}, {
		name: "hourly New York fall-back", spec: "0 * * * *", zone: "America/New_York",
		after: "2026-11-01T00:30:00-04:00",
		want: []string{
			"2026-11-01T01:00:00-04:00 [01:00 happens twice (DST fall-back); fires once, at the first]",
			"2026-11-01T02:00:00-05:00",
		},
	}, {
		name: "every second across the New York gap", spec: "* * 2 * * *", zone: "America/New_York",
		after: "2026-03-08T01:59:59-05:00",
		want: []string{
			"2026-03-08T03:00:00-04:00 [3600 times from 02:00 to 02:59:59 skipped by DST merged into one fire at 03:00]",
			"2026-03-09T02:00:00-04:00",
		},
	}, {
		name: "@daily Santiago: midnight skipped", spec: "@daily", zone: "America/Santiago",
		after: "2026-09-05T12:00:00-04:00",
		want: []string{
			"2026-09-06T01:00:00-03:00 [00:00 does not exist (DST spring-forward); fires at 01:00]",
			"2026-09-07T00:00:00-03:00",
		},
	}, {
		name: "6 fields with seconds", spec: "15,45 30 9 * * MON-FRI", zone: "UTC",
		after: "2026-06-05T09:30:15Z", // a Friday, exactly at a fire: strictly after
		want:  []string{"2026-06-05T09:30:45Z", "2026-06-08T09:30:15Z", "2026-06-08T09:30:45Z"},
	}, {
		name: "fractional after", spec: "* * * * * *", zone: "UTC",
		after: "2026-06-05T09:30:15.5Z",
		want:  []string{"2026-06-05T09:30:16Z", "2026-06-05T09:30:17Z"},
	}, {
		name: "@daily", spec: "@daily", zone: "Europe/Berlin",
		after: "2026-03-28T00:00:00+01:00",
		want:  []string{"2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00"},
	}, {
		name: "@weekly", spec: "@weekly", zone: "UTC", after: "2026-06-05T00:00:00Z",
		want: []string{"2026-06-07T00:00:00Z", "2026-06-14T00:00:00Z"},
	}, {
		name: "@monthly", spec: "@monthly", zone: "UTC", after: "2026-01-31T00:00:00Z",
		want: []string{"2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"},
	}, {
		name: "@yearly", spec: "@yearly", zone: "UTC", after: "2026-01-01T00:00:00Z",
		want: []string{"2027-01-01T00:00:00Z"},
	}, {
		name: "@hourly", spec: "@hourly", zone: "UTC", after: "2026-01-01T00:59:59.999Z",
		want: []string{"2026-01-01T01:00:00Z", "2026-01-01T02:00:00Z"},
	}, {
		name: "@every is a constant interval across DST", spec: "@every 90m", zone: "America/New_York",
		after: "2026-03-08T00:00:00-05:00",
		want:  []string{"2026-03-08T01:00:00-05:00", "2026-03-08T03:30:00-04:00", "2026-03-08T05:00:00-04:00"},
	}, {
		name: "@every aligned to the epoch", spec: "@every 30s", zone: "UTC",
		after: "2026-01-01T00:00:30Z",
		want:  []string{"2026-01-01T00:01:00Z", "2026-01-01T00:01:30Z"},
	}, {
		name: "leap day", spec: "0 0 29 2 *", zone: "UTC", after: "2026-01-01T00:00:00Z",
		want: []string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"},
	}, {
		name: "leap day across 2100", spec: "0 0 29 2 *", zone: "UTC", after: "2097-01-01T00:00:00Z",
		want: []string{"2104-02-29T00:00:00Z"},
	}, {
		name: "day of month or day of week", spec: "0 0 13 * FRI", zone: "UTC", after: "2026-03-01T00:00:00Z",
		want: []string{"2026-03-06T00:00:00Z", "2026-03-13T00:00:00Z", "2026-03-20T00:00:00Z"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.spec, mustLoad(t, tc.zone))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := s.NextN(mustTime(t, tc.after), len(tc.want))
			if len(got) != len(tc.want) {
				t.Fatalf("got %d fires, want %d", len(got), len(tc.want))
			}
			for i, f := range got {
				if fire(f) != tc.want[i] {
					t.Errorf("fire %d = %s\n          want %s", i, fire(f), tc.want[i])
				}
				if f.Time.Location() != s.Location() {
					t.Errorf("fire %d in %v, want %v", i, f.Time.Location(), s.Location())
				}
			}
		})
	}
}

// TestNextStrictlyAfter walks every fire of busy schedules across each
// clock change of 2026 in several zones: each fire is strictly after the
// previous one, and no wall-clock time fires twice.
func TestNextStrictlyAfter(t *testing.T) {
	for _, zone := range []string{"Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago"} {
		for _, spec := range []string{"*/7 * * * *", "30 1,2,3 * * *", "0 30 2 * * *", "*/20 * 1-3 * * *"} {
			t.Run(zone+" "+spec, func(t *testing.T) {
				loc := mustLoad(t, zone)
				s, err := Parse(spec, loc)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				changes := clockChanges(loc, 2026)
				if len(changes) != 2 {
					t.Fatalf("%s changes its clock %d times in 2026, want 2", zone, len(changes))
				}
				for _, change := range changes {
					after, until := change.Add(-48*time.Hour), change.Add(48*time.Hour)
					seen := make(map[string]bool)
					for after.Before(until) {
						f := s.Next(after)
						if !f.Time.After(after) {
							t.Fatalf("Next(%v) = %v, not strictly after", after, f.Time)
						}
						wall := f.Time.Format("2006-01-02 15:04:05")
						if seen[wall] {
							t.Fatalf("wall time %s fired twice", wall)
						}
						seen[wall] = true
						after = f.Time
					}
				}
			})
		}
	}
}

// clockChanges returns the instants loc changes its offset in year.
func clockChanges(loc *time.Location, year int) []time.Time {
	var changes []time.Time
	t := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	for {
		_, end := t.ZoneBounds()
		if end.IsZero() || end.Year() > year {
			return changes
		}
		changes = append(changes, end)
		t = end
	}
}

func TestNextMatchesRobfigInUTC(t *testing.T) {
	specs := []string{"*/7 * * * *", "0 9 * * MON", "5 4 1,15 * *", "0 0 1 */3 *",
		"10-20/3 8-17 * 1-6 1-5", "0 0 29 2 *", "0 0 13 * FRI", "*/10 * * * * *"}
	after := time.Date(2026, 5, 17, 13, 41, 27, 0, time.UTC)
	for _, spec := range specs {
		s, err := Parse(spec, time.UTC)
		if err != nil {
			t.Fatalf("Parse(%q): %v", spec, err)
		}
		ref, err := newParser().Parse(spec)
		if err != nil {
			t.Fatalf("robfig Parse(%q): %v", spec, err)
		}
		a, b := after, after
		for i := range 500 {
			a, b = s.Next(a).Time, ref.Next(b.In(time.UTC))
			if b.IsZero() {
				break // robfig gives up 5 years ahead; we go on
			}
			if !a.Equal(b) {
				t.Fatalf("%q fire %d: got %v, robfig %v", spec, i, a, b)
			}
		}
	}
}

// TestNextNeverFires checks that a spec that can never fire (which Parse
// rejects) makes Next return the zero Fire promptly instead of looping.
func TestNextNeverFires(t *testing.T) {
	spec, err := newParser().Parse("0 0 30 2 *")
	if err != nil {
		t.Fatalf("robfig Parse: %v", err)
	}
	s := &Schedule{spec: "0 0 30 2 *", loc: time.UTC, cron: spec.(*cron.SpecSchedule)}
	if f := s.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); !f.IsZero() {
		t.Errorf("Next = %s, want the zero Fire", fire(f))
	}
	if got := s.NextN(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 3); len(got) != 0 {
		t.Errorf("NextN = %v, want none", got)
	}
}

func BenchmarkNext(b *testing.B) {
	loc := mustLoad(b, "Europe/Berlin")
	for _, spec := range []string{"*/15 * * * *", "0 9 * * MON", "0 0 29 2 *"} {
		s, err := Parse(spec, loc)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(spec, func(b *testing.B) {
			after := time.Date(2026, 3, 1, 0, 0, 0, 0, loc)
			for b.Loop() {
				_ = s.Next(after)
			}
		})
	}
}

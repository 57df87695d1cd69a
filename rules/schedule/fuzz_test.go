package schedule

import (
	"testing"
	"time"
)

// FuzzParse checks that Parse never panics, that what it accepts keeps its
// spec, and that Next is strictly after its argument.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"0 9 * * MON", "*/15 * * * *", "30 0 9 * * 1-5", "@daily", "@every 90s", "0 0 30 2 *"} {
		f.Add(seed, "Europe/Berlin")
	}
	f.Fuzz(func(t *testing.T, spec, zone string) {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			loc = time.UTC
		}
		s, err := Parse(spec, loc)
		if err != nil {
			return
		}
		if s.String() != spec {
			t.Fatalf("String() = %q, want %q", s.String(), spec)
		}
		after := time.Date(2026, 3, 29, 0, 59, 59, 0, loc)
		for range 3 {
			next := s.Next(after)
			if next.IsZero() {
				t.Fatalf("%q: no fire after %v although Parse accepted it", spec, after)
			}
			if !next.Time.After(after) {
				t.Fatalf("%q: Next(%v) = %v, not strictly after", spec, after, next.Time)
			}
			after = next.Time
		}
	})
}

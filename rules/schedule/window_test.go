package schedule

import (
	"strings"
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	tests := []struct {
		spec       string
		start, end int
		err        string
	}{
		{spec: "22:00-07:00", start: 22 * 3600, end: 7 * 3600},
		{spec: "09:00-17:30", start: 9 * 3600, end: 17*3600 + 30*60},
		{spec: "7:00-9:05", start: 7 * 3600, end: 9*3600 + 5*60},
		{spec: " 22:00 - 07:00 ", start: 22 * 3600, end: 7 * 3600},
		{spec: "23:59:58-00:00:03", start: 86398, end: 3},
		{spec: "00:00-23:59:59", start: 0, end: 86399},
		{spec: "22:00", err: "want START-END"},
		{spec: "07:00-07:00", err: "the same time"},
		{spec: "24:00-07:00", err: "not a time of day"},
		{spec: "22:60-07:00", err: "not a time of day"},
		{spec: "22:00-07:0", err: "not a time of day"},
		{spec: "22-07", err: "not a time of day"},
		{spec: "22:00:00:00-07:00", err: "not a time of day"},
		{spec: "+2:00-07:00", err: "not a time of day"},
		{spec: "1:00-2:00-3:00", err: "end"},
		{spec: "", err: "want START-END"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			w, err := ParseWindow(tt.spec)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseWindow(%q) error = %v, want one containing %q", tt.spec, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseWindow(%q): %v", tt.spec, err)
			}
			if w.start != tt.start || w.end != tt.end || w.String() != tt.spec {
				t.Errorf("ParseWindow(%q) = %d-%d %q, want %d-%d", tt.spec, w.start, w.end, w.String(), tt.start, tt.end)
			}
		})
	}
}

func TestWindowEnd(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	newYork := mustZone(t, "America/New_York")
	at := func(loc *time.Location, s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04:05", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name   string
		window string
		loc    *time.Location
		t      time.Time
		want   time.Time // zero: outside the window
	}{
		{"evening, ends tomorrow", "22:00-07:00", berlin, at(berlin, "2026-06-10 23:15:00"), at(berlin, "2026-06-11 07:00:00")},
		{"after midnight, ends today", "22:00-07:00", berlin, at(berlin, "2026-06-11 03:00:00"), at(berlin, "2026-06-11 07:00:00")},
		{"at the start", "22:00-07:00", berlin, at(berlin, "2026-06-10 22:00:00"), at(berlin, "2026-06-11 07:00:00")},
		{"a second before the end", "22:00-07:00", berlin, at(berlin, "2026-06-11 06:59:59"), at(berlin, "2026-06-11 07:00:00")},
		{"at the end: outside", "22:00-07:00", berlin, at(berlin, "2026-06-11 07:00:00"), time.Time{}},
		{"daytime outside", "22:00-07:00", berlin, at(berlin, "2026-06-11 12:00:00"), time.Time{}},
		{"daytime window", "09:00-17:00", berlin, at(berlin, "2026-06-11 12:00:00"), at(berlin, "2026-06-11 17:00:00")},
		{"daytime window, evening outside", "09:00-17:00", berlin, at(berlin, "2026-06-11 18:00:00"), time.Time{}},
		{"read in the zone, not UTC", "22:00-07:00", newYork, at(berlin, "2026-06-11 06:00:00"), at(newYork, "2026-06-11 07:00:00")},
		{"outside in the zone although inside in Berlin", "22:00-07:00", newYork, at(berlin, "2026-06-11 03:00:00"), time.Time{}},
		{"end skipped by spring-forward moves past the gap", "01:00-02:30", berlin, at(berlin, "2026-03-29 01:30:00"),
			time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)},
		{"night over spring-forward is an hour shorter", "22:00-07:00", berlin, at(berlin, "2026-03-28 23:00:00"), at(berlin, "2026-03-29 07:00:00")},
		{"end repeated by fall-back: first occurrence", "00:00-01:30", newYork, time.Date(2026, 11, 1, 5, 10, 0, 0, time.UTC),
			time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC)},
		{"inside again in the repeated hour: second occurrence", "00:00-01:30", newYork, time.Date(2026, 11, 1, 6, 10, 0, 0, time.UTC),
			time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC)},
		{"seconds", "23:59:58-00:00:03", time.UTC, time.Date(2026, 1, 1, 23, 59, 59, 500, time.UTC), time.Date(2026, 1, 2, 0, 0, 3, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := ParseWindow(tt.window)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := w.End(tt.t, tt.loc)
			if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
				t.Errorf("End(%v) = %v, %v; want %v", tt.t, got, ok, tt.want)
			}
			if w.Contains(tt.t, tt.loc) != ok {
				t.Errorf("Contains(%v) = %v, End says %v", tt.t, !ok, ok)
			}
		})
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// FuzzParseWindow checks that ParseWindow never panics, that what it
// accepts keeps its spec, and that End, for any instant inside, is after
// that instant, outside the window, and less than a day and an hour away.
func FuzzParseWindow(f *testing.F) {
	f.Add("22:00-07:00", int64(1774738800))
	f.Fuzz(func(t *testing.T, spec string, unix int64) {
		w, err := ParseWindow(spec)
		if err != nil {
			return
		}
		if w.String() != spec {
			t.Fatalf("String() = %q, want %q", w.String(), spec)
		}
		const century = 100 * 366 * 24 * 3600
		now := time.Unix(unix%century+1700000000, 0)
		for _, zone := range []string{"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"} {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Fatal(err)
			}
			end, ok := w.End(now, loc)
			if ok != w.Contains(now, loc) {
				t.Fatalf("%q in %s at %v: End says inside=%v, Contains says %v", spec, zone, now, ok, !ok)
			}
			if !ok {
				continue
			}
			if !end.After(now) || end.Sub(now) > 25*time.Hour {
				t.Fatalf("%q in %s: End(%v) = %v", spec, zone, now, end)
			}
			if w.Contains(end, loc) {
				t.Fatalf("%q in %s: End(%v) = %v is still inside", spec, zone, now, end)
			}
		}
	})
}

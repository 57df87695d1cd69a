package schedule

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// maxListed is how many skipped wall times a merge note lists one by one.
const maxListed = 6

// instants returns the instants whose wall clock in loc is w, earliest
// first: one normally, none in a spring-forward gap, two in a fall-back
// overlap.
func instants(w time.Time, loc *time.Location) []time.Time {
	ws := w.Unix()
	var offsets []int
	for _, d := range []int64{-26, -13, 0, 13, 26} {
		_, off := time.Unix(ws+d*3600, 0).In(loc).Zone()
		if !slices.Contains(offsets, off) {
			offsets = append(offsets, off)
		}
	}
	var out []time.Time
	for _, off := range offsets {
		t := time.Unix(ws-int64(off), 0).In(loc)
		if _, o := t.Zone(); o == off {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, time.Time.Compare)
	return slices.CompactFunc(out, time.Time.Equal)
}

// gapEnd returns the first instant after the gap in loc that skips wall
// time w: the transition whose later side starts after w.
func gapEnd(w time.Time, loc *time.Location) time.Time {
	maxOff := 0
	for _, d := range []int64{-26, -13, 0, 13, 26} {
		_, off := time.Unix(w.Unix()+d*3600, 0).In(loc).Zone()
		maxOff = max(maxOff, off)
	}
	// An instant before the gap: w read with the largest offset around it.
	t := time.Unix(w.Unix()-int64(maxOff)-3600, 0).In(loc)
	for range 8 {
		_, end := t.ZoneBounds()
		if end.IsZero() {
			break
		}
		if toWall(end, loc).After(w) {
			return end.In(loc)
		}
		t = end
	}
	return time.Time{}
}

// nextWall computes Next for a cron spec on the wall clock of s.loc.
func (s *Schedule) nextWall(after time.Time) Fire {
	w := toWall(after, s.loc).Add(time.Second)
	for {
		m, ok := matchWall(s.cron, w)
		if !ok {
			return Fire{}
		}
		w = m.Add(time.Second)
		switch in := instants(m, s.loc); len(in) {
		case 0:
			if f, ok := s.mergeGap(m, after); ok {
				return f
			}
		case 1:
			if in[0].After(after) {
				return Fire{Time: in[0]}
			}
		default:
			if in[0].After(after) {
				return Fire{Time: in[0], Note: fmt.Sprintf(
					"%s happens twice (DST fall-back); fires once, at the first", clock(m))}
			}
		}
	}
}

// mergeGap returns the fire for wall time m, which a spring-forward skips:
// the first instant after the gap, noting m and every later matching wall
// time in the same gap. It returns false if that instant is not after after.
func (s *Schedule) mergeGap(m time.Time, after time.Time) (Fire, bool) {
	end := gapEnd(m, s.loc)
	if end.IsZero() || !end.After(after) {
		return Fire{}, false
	}
	endWall := toWall(end, s.loc)
	skipped := []time.Time{m}
	for {
		next, ok := matchWall(s.cron, skipped[len(skipped)-1].Add(time.Second))
		if !ok || !next.Before(endWall) {
			break
		}
		skipped = append(skipped, next)
	}
	at := clock(endWall)
	if len(skipped) == 1 {
		return Fire{Time: end, Note: fmt.Sprintf(
			"%s does not exist (DST spring-forward); fires at %s", clock(m), at)}, true
	}
	return Fire{Time: end, Note: fmt.Sprintf(
		"%s skipped by DST merged into one fire at %s", listClocks(skipped), at)}, true
}

// clock formats a wall time as 15:04, or 15:04:05 when it has seconds.
func clock(w time.Time) string {
	if w.Second() != 0 {
		return w.Format("15:04:05")
	}
	return w.Format("15:04")
}

func listClocks(ws []time.Time) string {
	if len(ws) > maxListed {
		return fmt.Sprintf("%d times from %s to %s", len(ws), clock(ws[0]), clock(ws[len(ws)-1]))
	}
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = clock(w)
	}
	return strings.Join(parts, ", ")
}

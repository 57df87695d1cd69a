package cron

import (
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/korelay/korelay/internal/syncbuf"
)

// TestLateWakeUp simulates a process suspended for hours: the injected
// clock jumps ahead while a job waits. Missed fires are replayed only
// within catch_up; the schedule then continues from now.
func TestLateWakeUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sleepUntil(t, "2026-06-01T10:30:00Z")
		var jump atomic.Int64
		now := func() time.Time { return time.Now().Add(time.Duration(jump.Load())) }
		pub := &fakePublisher{}
		var logs syncbuf.Buffer
		tr := New(pub, newFakeState(), Options{Logger: logTo(&logs), Now: now})
		hourly := mustParse(t, "0 * * * *", "UTC")
		stop := start(t, tr, []Job{
			{Rule: "windowed", Schedule: hourly, CatchUp: 2 * time.Hour},
			{Rule: "plain", Schedule: hourly},
		})
		synctest.Wait()
		jump.Store(int64(5*time.Hour + 10*time.Minute)) // at the 11:00 timer, the clock reads 16:10
		sleepUntil(t, "2026-06-01T11:00:01Z")
		synctest.Wait()
		want := msgIDs("windowed", "2026-06-01T15:00:00Z", "2026-06-01T16:00:00Z")
		if got := pub.ids(); !slices.Equal(got, want) {
			t.Fatalf("after the jump published %v, want %v", got, want)
		}
		if !strings.Contains(logs.String(), "rule=plain") {
			t.Errorf("skipped fires of plain not logged:\n%s", logs.String())
		}
		sleepUntil(t, "2026-06-01T12:00:01Z") // the clock reads 17:10:01
		stop()
		if got := pub.ids(); len(got) != 4 {
			t.Errorf("published %v, want the 2 replays then a 17:00 fire of each rule", got)
		}
	})
}

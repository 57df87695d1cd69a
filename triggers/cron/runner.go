package cron

import (
	"context"
	"time"
)

// runner fires one job until its context is done.
type runner struct {
	t      *Trigger
	job    Job
	cancel context.CancelFunc
	done   chan struct{} // closed when run has returned
}

// run catches up (if the job has a catch-up window), then waits for each
// fire and publishes it.
func (r *runner) run(ctx context.Context) {
	last := r.t.now()
	if r.job.CatchUp > 0 {
		if t, ok := r.lastFired(ctx); ok {
			last = r.catchUp(ctx, t, r.t.now())
		}
	}
	for ctx.Err() == nil {
		f := r.job.Schedule.Next(last)
		if f.IsZero() {
			r.t.log.Warn("cron rule has no more fires", "rule", r.job.Rule, "after", last)
			return
		}
		if !sleep(ctx, f.Time.Sub(r.t.now())) {
			return
		}
		now := r.t.now()
		following := r.job.Schedule.Next(f.Time)
		if !following.IsZero() && !following.Time.After(now) {
			// Woke up late (the process was suspended): several fires are due.
			last = r.catchUp(ctx, f.Time.Add(-time.Nanosecond), now)
			continue
		}
		if f.Note != "" {
			r.t.log.Info("cron fire moved by DST", "rule", r.job.Rule, "scheduled", f.Time, "note", f.Note)
		}
		r.fire(ctx, f.Time, following.Time)
		last = f.Time
	}
}

// lastFired asks the state store when the job last fired.
func (r *runner) lastFired(ctx context.Context) (time.Time, bool) {
	t, ok, err := r.t.state.LastFired(ctx, r.job.Rule)
	if err != nil {
		r.t.log.Error("cron catch-up skipped: cannot read last fire", "rule", r.job.Rule, "err", err)
		return time.Time{}, false
	}
	return t, ok
}

// catchUp publishes, oldest first, the fires after lastFired and up to now
// that are within the job's catch-up window, logs those that are older,
// and returns now: the point the schedule continues from.
func (r *runner) catchUp(ctx context.Context, lastFired, now time.Time) time.Time {
	from := lastFired
	if oldest := now.Add(-r.job.CatchUp - time.Nanosecond); oldest.After(from) {
		from = oldest
		if f := r.job.Schedule.Next(lastFired); !f.IsZero() && !f.Time.After(from) {
			r.t.log.Warn("cron fires missed beyond catch_up not replayed", "rule", r.job.Rule,
				"scheduled", f.Time, "last_fired", lastFired, "catch_up", r.job.CatchUp)
		}
	}
	for f := r.job.Schedule.Next(from); !f.IsZero() && !f.Time.After(now); f = r.job.Schedule.Next(f.Time) {
		if ctx.Err() != nil {
			break
		}
		r.t.log.Info("cron catch-up", "rule", r.job.Rule, "scheduled", f.Time)
		r.fire(ctx, f.Time, r.job.Schedule.Next(r.t.now()).Time)
	}
	return now
}

// sleep waits for d or until ctx is done, and reports whether it was d.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

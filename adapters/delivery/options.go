package delivery

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/metrics"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultPerMinute   = 600
	DefaultPerHour     = 18000
	DefaultBurst       = 3
	DefaultMaxAttempts = 8
	DefaultBaseBackoff = 500 * time.Millisecond
	DefaultMaxBackoff  = 5 * time.Minute
	DefaultDedupFor    = 24 * time.Hour
	DefaultConcurrency = 32
)

// Options tunes an Engine. Zero fields take the Default* values.
type Options struct {
	// PerMinute and PerHour are rolling budgets counting every notify and
	// status call, retries included (device calls are not counted). A
	// negative value disables that limit (for a fake or a private Kore);
	// PerMinute also sets the smooth rate, PerMinute/60 calls a second.
	PerMinute, PerHour int
	// Burst is how many calls may go out back to back above the smooth rate.
	Burst int
	// Budget paces the calls; nil: a LocalBudget of PerMinute, PerHour and
	// Burst. A budget shared by replicas goes here.
	Budget Budget
	// BatchWindow is a minimum wait after the first item of a message group
	// arrives, to coalesce more identities into its call. 0: coalesce only
	// while budget-bound.
	BatchWindow time.Duration
	// MaxAttempts is how many calls an identity takes part in before it is
	// dead-lettered as exhausted.
	MaxAttempts int
	// BaseBackoff and MaxBackoff bound the exponential backoff (full jitter)
	// between attempts; a Retry-After from Kore is always honoured.
	BaseBackoff, MaxBackoff time.Duration
	// DefaultDedupFor is the idempotency key lifetime for notifications with
	// no DedupKey (the key is then the event id) or no DedupFor.
	DefaultDedupFor time.Duration
	// Concurrency bounds the Kore calls in flight at once.
	Concurrency int
	// TrackJobs polls the status of every accepted job, within the same
	// budget and behind notifications, and hands the final job to
	// OnJobResult (which may be called from several goroutines at once).
	TrackJobs bool
	// Status reads job status; nil: the Notifier, if it is a StatusChecker.
	Status StatusChecker
	// Devices performs device actions; nil: the Notifier, if it is a
	// Devices. Without one, device actions are dead-lettered.
	Devices Devices
	// OnJobResult receives each tracked job's last known status (final
	// unless polls ran out); nil: jobs are only logged.
	OnJobResult func(*kore.Job)
	// OnCall, if set, hears of every notify call once Kore answered it
	// (or failed to), on the worker that made it, before the call's
	// identities are settled: it must be quick (the delivery journal hands
	// the record to its own goroutine).
	OnCall func(CallRecord)
	// DryRun marks calls the notifier accepted as StatusDryRun (counted as
	// outcome "dry_run"), never StatusSent: the notifier only printed them.
	DryRun bool
	// Metrics and Logger may be nil.
	Metrics *metrics.Metrics
	Logger  *slog.Logger
}

func (o Options) withDefaults() Options {
	o.PerMinute = cmp.Or(o.PerMinute, DefaultPerMinute)
	o.PerHour = cmp.Or(o.PerHour, DefaultPerHour)
	o.Burst = cmp.Or(o.Burst, DefaultBurst)
	o.MaxAttempts = cmp.Or(o.MaxAttempts, DefaultMaxAttempts)
	o.BaseBackoff = cmp.Or(o.BaseBackoff, DefaultBaseBackoff)
	o.MaxBackoff = cmp.Or(o.MaxBackoff, DefaultMaxBackoff)
	o.DefaultDedupFor = cmp.Or(o.DefaultDedupFor, DefaultDedupFor)
	o.Concurrency = cmp.Or(o.Concurrency, DefaultConcurrency)
	return o
}

func (o Options) validate() error {
	var errs []error
	check := func(bad bool, format string, args ...any) {
		if bad {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(o.Burst < 1, "burst %d: must be at least 1", o.Burst)
	check(o.BatchWindow < 0, "batch window %v: must not be negative", o.BatchWindow)
	check(o.MaxAttempts < 1, "max attempts %d: must be at least 1", o.MaxAttempts)
	check(o.BaseBackoff < 0, "base backoff %v: must not be negative", o.BaseBackoff)
	check(o.MaxBackoff < o.BaseBackoff, "max backoff %v: below base backoff %v", o.MaxBackoff, o.BaseBackoff)
	check(o.DefaultDedupFor < 0, "default dedup for %v: must not be negative", o.DefaultDedupFor)
	check(o.Concurrency < 1, "concurrency %d: must be at least 1", o.Concurrency)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("delivery options: %w", err)
	}
	return nil
}

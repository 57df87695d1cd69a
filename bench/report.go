package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// steadyAfter is how long after the first publish the steady p99 starts.
const steadyAfter = time.Second

// Result is what one job of one run measured.
type Result struct {
	System   string  `json:"system"`         // korelay or reference
	Scenario string  `json:"scenario"`       // orders, nomatch or broadcast
	Mode     string  `json:"mode,omitempty"` // max or paced
	Kore     string  `json:"kore"`           // the fake Kore: lean or full
	Run      int     `json:"run"`
	Events   int     `json:"events"`
	Matching int     `json:"matching"`
	Rate     float64 `json:"paced_rate,omitempty"`

	PublishSeconds float64 `json:"publish_seconds"`
	PublishRate    float64 `json:"publish_rate"`

	Notified   int64 `json:"notified"`
	Lost       int64 `json:"lost"`
	Duplicates int64 `json:"duplicates"`
	// Killed is set when korelay was SIGKILLed and restarted mid-run; then
	// up to AllowedDuplicates duplicates (calls at Kore at the kill, or
	// accepted and not yet recorded) are at-least-once delivery, not a
	// failure.
	Killed            bool  `json:"killed,omitempty"`
	AllowedDuplicates int64 `json:"allowed_duplicates,omitempty"`
	Unexpected        int64 `json:"unexpected"`
	IDMismatches      int64 `json:"id_mismatches"`
	KoreCalls         int64 `json:"kore_calls"`
	NotifyCalls       int64 `json:"kore_notify_calls"`
	RejectedCalls     int64 `json:"kore_rejected_calls"`

	// EventsPerSec is events ÷ (every event acknowledged − first publish),
	// measured to the harness's 20 ms polling.
	EventsPerSec        float64 `json:"events_per_sec"`
	NotificationsPerSec float64 `json:"notifications_per_sec"`
	P50Ms               float64 `json:"p50_ms"`
	P99Ms               float64 `json:"p99_ms"`
	// P99SteadyMs is the p99 of the events published steadyAfter or more
	// after the first: without the start, where a system opens its
	// connections and the harness ramps up.
	P99SteadyMs          float64 `json:"p99_steady_ms"`
	MaxMs                float64 `json:"max_ms"`
	CallsPerNotification float64 `json:"calls_per_notification"`
	CPUSeconds           float64 `json:"cpu_seconds"`
	CPUPerEventUs        float64 `json:"cpu_us_per_event"`
	CPUPerNotificationUs float64 `json:"cpu_us_per_notification"`
	// HarnessCPUSeconds is the harness's own CPU (NATS server, fake Kore,
	// publisher), for context: it shares the cores.
	HarnessCPUSeconds           float64 `json:"harness_cpu_seconds"`
	HarnessCPUPerNotificationUs float64 `json:"harness_cpu_us_per_notification"`
	StartRSSMiB                 float64 `json:"start_rss_mib"`
	// FileRSSMiB is the part of the resident set mapped from files (the
	// executable's code and read-only data) at the end: pages touched once,
	// at start-up, stay counted there, and they are the same whatever the
	// load. The rest of PeakRSSMiB is the heap, stacks and the runtime.
	FileRSSMiB float64 `json:"file_rss_mib"`
	PeakRSSMiB float64 `json:"peak_rss_mib"`

	// Broadcast holds the broadcast scenario's own figures.
	Broadcast *BroadcastStats `json:"broadcast,omitempty"`

	Exit        string  `json:"exit"`
	ExitSeconds float64 `json:"exit_seconds"`

	OK         bool     `json:"ok"`
	Problems   []string `json:"problems,omitempty"`
	Samples    []string `json:"bad_texts,omitempty"`
	Rejections []string `json:"rejections,omitempty"`
	LogTail    string   `json:"log_tail,omitempty"`
}

// problem records something wrong with the run.
func (r *Result) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// label names the job: "orders max korelay".
func (r *Result) label() string {
	return strings.Join(slices.DeleteFunc([]string{r.Scenario, r.Mode, r.System}, func(s string) bool { return s == "" }), " ")
}

// fill computes the measurements of an order run from its checker, the
// fake Kore's counters and the process samples.
func (r *Result) fill(chk *orderCheck, stats *callStats, pubStart, doneAt, cpu time.Duration, rss0, hwm int64) {
	r.Notified = chk.delivered.Load()
	r.Lost = int64(r.Matching) - r.Notified
	r.Duplicates, r.Unexpected = chk.duplicates.Load(), chk.unexpected.Load()
	r.IDMismatches = chk.mismatches.Load()
	r.Samples = chk.bad.get()
	r.fillCalls(stats)
	lat := chk.latencySnapshot(0)
	slices.Sort(lat)
	r.P50Ms, r.P99Ms = ms(quantile(lat, 0.50)), ms(quantile(lat, 0.99))
	steady := chk.latencySnapshot(pubStart + steadyAfter)
	slices.Sort(steady)
	r.P99SteadyMs = ms(quantile(steady, 0.99))
	if len(lat) > 0 {
		r.MaxMs = ms(lat[len(lat)-1])
	}
	if span := time.Duration(stats.lastCall.Load()) - pubStart; r.Notified > 0 && span > 0 {
		r.NotificationsPerSec = float64(r.Notified) / span.Seconds()
		r.CallsPerNotification = float64(r.KoreCalls) / float64(r.Notified)
		r.CPUPerNotificationUs = float64(cpu.Microseconds()) / float64(r.Notified)
	}
	if span := doneAt - pubStart; span > 0 {
		r.EventsPerSec = float64(r.Events) / span.Seconds()
	}
	r.CPUSeconds = cpu.Seconds()
	r.CPUPerEventUs = float64(cpu.Microseconds()) / float64(r.Events)
	r.StartRSSMiB, r.PeakRSSMiB = float64(rss0)/1024, float64(hwm)/1024
}

// fillCalls copies the fake Kore's counters.
func (r *Result) fillCalls(stats *callStats) {
	r.KoreCalls, r.NotifyCalls, r.RejectedCalls = stats.calls.Load(), stats.notify.Load(), stats.rejected.Load()
	r.Rejections = stats.why.get()
}

// check turns the correctness counters into problems and sets OK.
func (r *Result) check() {
	if r.Lost > 0 {
		r.problem("%d of %d matching events were never notified", r.Lost, r.Matching)
	}
	if r.Duplicates > r.AllowedDuplicates {
		r.problem("%d duplicate notifications (at most %d allowed)", r.Duplicates, r.AllowedDuplicates)
	}
	if r.Unexpected > 0 {
		r.problem("%d notifications for non-matching events", r.Unexpected)
	}
	if r.IDMismatches > 0 {
		r.problem("%d texts whose order id, name or identity differ from what was sent (e.g. %q)",
			r.IDMismatches, r.Samples)
	}
	if r.RejectedCalls > 0 {
		r.problem("the fake Kore rejected %d calls (e.g. %q)", r.RejectedCalls, r.Rejections)
	}
	r.OK = len(r.Problems) == 0
}

// quantile is the q-quantile of sorted (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// failed reports whether any run found a problem.
func failed(results []*Result) bool {
	return slices.ContainsFunc(results, func(r *Result) bool { return !r.OK })
}

// printResult prints one job's outcome and problems as soon as it ends.
func printResult(w io.Writer, r *Result) {
	status := "ok"
	if !r.OK {
		status = "FAILED"
	}
	if r.Broadcast != nil {
		fmt.Fprintf(w, "%s run %d: %s (%d calls for %d identities; %s stop: %s in %.2fs)\n",
			r.label(), r.Run, status, r.NotifyCalls, r.Broadcast.Identities, r.System, r.Exit, r.ExitSeconds)
	} else {
		fmt.Fprintf(w, "%s run %d: %s (%d/%d notified; published at %.0f events/s; RSS %.1f MiB at start, %.1f MiB of it mapped from the executable at the end; CPU %.2fs; harness CPU %.2fs; stop: %s in %.2fs)\n",
			r.label(), r.Run, status, r.Notified, r.Matching, r.PublishRate, r.StartRSSMiB, r.FileRSSMiB, r.CPUSeconds,
			r.HarnessCPUSeconds, r.Exit, r.ExitSeconds)
	}
	for _, p := range r.Problems {
		fmt.Fprintln(w, "  problem:", p)
	}
	if r.LogTail != "" {
		fmt.Fprintf(w, "  %s log (tail):\n%s\n", r.System, indent(r.LogTail))
	}
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

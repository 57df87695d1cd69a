package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is what one run of one mode measured.
type Result struct {
	Mode     string  `json:"mode"`
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
	// up to AllowedDuplicates duplicates (calls in flight at the kill, sent
	// but not yet recorded) are at-least-once delivery, not a failure.
	Killed            bool  `json:"killed,omitempty"`
	AllowedDuplicates int64 `json:"allowed_duplicates,omitempty"`
	Unexpected        int64 `json:"unexpected"`
	IDMismatches      int64 `json:"id_mismatches"`
	KoreCalls         int64 `json:"kore_calls"`
	NotifyCalls       int64 `json:"kore_notify_calls"`
	RejectedCalls     int64 `json:"kore_rejected_calls"`

	NotificationsPerSec  float64 `json:"notifications_per_sec"`
	P50Ms                float64 `json:"p50_ms"`
	P99Ms                float64 `json:"p99_ms"`
	MaxMs                float64 `json:"max_ms"`
	CallsPerNotification float64 `json:"calls_per_notification"`
	CPUSeconds           float64 `json:"cpu_seconds"`
	CPUPerNotificationUs float64 `json:"cpu_us_per_notification"`
	// HarnessCPUPerNotificationUs is the harness's own CPU (NATS server,
	// fake Kore, publisher) per notification, for context: it shares the cores.
	HarnessCPUPerNotificationUs float64 `json:"harness_cpu_us_per_notification"`
	StartRSSMiB                 float64 `json:"start_rss_mib"`
	PeakRSSMiB                  float64 `json:"peak_rss_mib"`

	Exit        string  `json:"exit"`
	ExitSeconds float64 `json:"exit_seconds"`

	OK       bool     `json:"ok"`
	Problems []string `json:"problems,omitempty"`
	Samples  []string `json:"bad_texts,omitempty"`
	LogTail  string   `json:"korelay_log_tail,omitempty"`
}

// problem records something wrong with the run.
func (r *Result) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// fill computes the measurements from the recorder and the process samples.
func (r *Result) fill(rec *recorder, pubStart, cpu time.Duration, rss0, hwm int64) {
	r.Notified = rec.delivered.Load()
	r.Lost = int64(r.Matching) - r.Notified
	r.Duplicates, r.Unexpected = rec.duplicates.Load(), rec.unexpected.Load()
	r.IDMismatches = rec.mismatches.Load()
	r.KoreCalls, r.NotifyCalls, r.RejectedCalls = rec.calls.Load(), rec.notify.Load(), rec.rejected.Load()
	rec.mu.Lock()
	lat := slices.Clone(rec.latencies)
	r.Samples = slices.Clone(rec.samples)
	rec.mu.Unlock()
	slices.Sort(lat)
	r.P50Ms, r.P99Ms = ms(quantile(lat, 0.50)), ms(quantile(lat, 0.99))
	if len(lat) > 0 {
		r.MaxMs = ms(lat[len(lat)-1])
	}
	if span := time.Duration(rec.lastCall.Load()) - pubStart; r.Notified > 0 && span > 0 {
		r.NotificationsPerSec = float64(r.Notified) / span.Seconds()
		r.CallsPerNotification = float64(r.KoreCalls) / float64(r.Notified)
		r.CPUPerNotificationUs = float64(cpu.Microseconds()) / float64(r.Notified)
	}
	r.CPUSeconds = cpu.Seconds()
	r.StartRSSMiB, r.PeakRSSMiB = float64(rss0)/1024, float64(hwm)/1024
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
		r.problem("the fake Kore rejected %d calls", r.RejectedCalls)
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

// printResult prints one run's problems as soon as it ends.
func printResult(w io.Writer, r *Result) {
	status := "ok"
	if !r.OK {
		status = "FAILED"
	}
	fmt.Fprintf(w, "%s run %d: %s (%d/%d notified; published at %.0f events/s; korelay RSS %.1f MiB at start, CPU %.2fs; harness CPU %.0f µs/notif; korelay stop: %s in %.2fs)\n",
		r.Mode, r.Run, status, r.Notified, r.Matching, r.PublishRate, r.StartRSSMiB, r.CPUSeconds,
		r.HarnessCPUPerNotificationUs, r.Exit, r.ExitSeconds)
	for _, p := range r.Problems {
		fmt.Fprintln(w, "  problem:", p)
	}
	if r.LogTail != "" {
		fmt.Fprintf(w, "  korelay log (tail):\n%s\n", indent(r.LogTail))
	}
}

// printTable prints every run as one row.
func printTable(w io.Writer, results []*Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\trun\tnotif/s\tp50 ms\tp99 ms\tmax ms\tcalls/notif\tCPU µs/notif\tpeak RSS MiB\tnotified\tdup\tlost\tbad ids\tok\t")
	for _, r := range results {
		mode := r.Mode
		if r.Rate > 0 {
			mode = fmt.Sprintf("paced %.0f/s", r.Rate)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f\t%.2f\t%.1f\t%.3f\t%.1f\t%.1f\t%d\t%d\t%d\t%d\t%v\t\n",
			mode, r.Run, r.NotificationsPerSec, r.P50Ms, r.P99Ms, r.MaxMs, r.CallsPerNotification,
			r.CPUPerNotificationUs, r.PeakRSSMiB, r.Notified, r.Duplicates, r.Lost, r.IDMismatches, r.OK)
	}
	tw.Flush()
}

// printSpread prints min–max over the runs of each mode.
func printSpread(w io.Writer, results []*Result) {
	fmt.Fprintln(w, "spread over runs (min–max):")
	for _, mode := range []string{"max", "paced"} {
		var rs []*Result
		for _, r := range results {
			if r.Mode == mode {
				rs = append(rs, r)
			}
		}
		if len(rs) == 0 {
			continue
		}
		span := func(f func(*Result) float64, format string) string {
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, r := range rs {
				lo, hi = math.Min(lo, f(r)), math.Max(hi, f(r))
			}
			return fmt.Sprintf(format+"–"+format, lo, hi)
		}
		fmt.Fprintf(w, "  %-5s notif/s %s  p50 %s ms  p99 %s ms  CPU %s µs/notif  RSS %s MiB  calls/notif %s\n", mode,
			span(func(r *Result) float64 { return r.NotificationsPerSec }, "%.0f"),
			span(func(r *Result) float64 { return r.P50Ms }, "%.2f"),
			span(func(r *Result) float64 { return r.P99Ms }, "%.2f"),
			span(func(r *Result) float64 { return r.CPUPerNotificationUs }, "%.1f"),
			span(func(r *Result) float64 { return r.PeakRSSMiB }, "%.1f"),
			span(func(r *Result) float64 { return r.CallsPerNotification }, "%.3f"))
	}
}

// report is the JSON file's shape.
type report struct {
	Time    time.Time `json:"time"`
	N       int       `json:"n"`
	Rate    float64   `json:"rate"`
	Runs    int       `json:"runs"`
	Results []*Result `json:"results"`
}

// writeJSON writes the results to file.
func writeJSON(file string, o options, results []*Result) error {
	b, err := json.MarshalIndent(report{Time: time.Now().UTC(), N: o.N, Rate: o.Rate, Runs: o.Runs, Results: results}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(b, '\n'), 0o644)
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

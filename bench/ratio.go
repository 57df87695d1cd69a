package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Ratio is korelay ÷ reference for one mode of one run of the orders
// scenario: above 1 korelay is faster (Throughput) or costlier (the rest).
type Ratio struct {
	Run                int     `json:"run"`
	Mode               string  `json:"mode"`
	Throughput         float64 `json:"throughput"`           // notifications/s
	CPUPerNotification float64 `json:"cpu_per_notification"` // µs of CPU per notification
	PeakRSS            float64 `json:"peak_rss"`
	P50                float64 `json:"p50"` // meaningful in paced mode only
	P99                float64 `json:"p99"` // meaningful in paced mode only
	P99Steady          float64 `json:"p99_steady"`
}

// ratios pairs korelay's and the reference's orders results of the same
// run and mode; pairs where either failed are left out.
func ratios(results []*Result) []Ratio {
	var out []Ratio
	for _, k := range results {
		if k.Scenario != scenOrders || k.System != sysKorelay || !k.OK {
			continue
		}
		for _, ref := range results {
			if ref.Scenario == scenOrders && ref.System == sysReference && ref.OK && ref.Run == k.Run && ref.Mode == k.Mode {
				out = append(out, Ratio{Run: k.Run, Mode: k.Mode,
					Throughput:         div(k.NotificationsPerSec, ref.NotificationsPerSec),
					CPUPerNotification: div(k.CPUPerNotificationUs, ref.CPUPerNotificationUs),
					PeakRSS:            div(k.PeakRSSMiB, ref.PeakRSSMiB),
					P50:                div(k.P50Ms, ref.P50Ms),
					P99:                div(k.P99Ms, ref.P99Ms),
					P99Steady:          div(k.P99SteadyMs, ref.P99SteadyMs),
				})
			}
		}
	}
	return out
}

func div(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// printRatios prints one row per run and mode.
func printRatios(w io.Writer, rs []Ratio) {
	if len(rs) == 0 {
		return
	}
	fmt.Fprintln(w, "korelay ÷ reference (same run, NATS and fake Kore; throughput: higher is better; CPU, RSS, latency: lower is better):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tmode\tthroughput\tCPU/notif\tpeak RSS\tp50\tp99\tp99 after 1 s\t")
	for _, r := range rs {
		p50, p99, steady := "backlog", "backlog", "backlog" // at max speed the latencies measure the queue
		if r.Mode == "paced" {
			p50, p99, steady = times(r.P50), times(r.P99), times(r.P99Steady)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Run, r.Mode, times(r.Throughput),
			times(r.CPUPerNotification), times(r.PeakRSS), p50, p99, steady)
	}
	tw.Flush()
}

func times(x float64) string { return fmt.Sprintf("%.2f×", x) }

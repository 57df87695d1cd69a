package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
)

// printTable prints every order and nomatch job as one row.
func printTable(w io.Writer, results []*Result) {
	if !slices.ContainsFunc(results, func(r *Result) bool { return r.Broadcast == nil }) {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tsystem\trun\tevents/s\tnotif/s\tp50 ms\tp99 ms\tp99 1s+ ms\tmax ms\tcalls/notif\tCPU µs/event\tCPU µs/notif\tpeak RSS MiB\tnotified\tdup\tlost\tbad ids\tok\t")
	for _, r := range results {
		if r.Broadcast != nil {
			continue
		}
		steady := "-" // no event published that late (max speed publishes within about a second)
		if r.P99SteadyMs > 0 {
			steady = fmt.Sprintf("%.2f", r.P99SteadyMs)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%.0f\t%.2f\t%.2f\t%s\t%.1f\t%.3f\t%.1f\t%.1f\t%.1f\t%d\t%d\t%d\t%d\t%v\t\n",
			scenarioLabel(r), r.System, r.Run, r.EventsPerSec, r.NotificationsPerSec, r.P50Ms, r.P99Ms, steady, r.MaxMs,
			r.CallsPerNotification, r.CPUPerEventUs, r.CPUPerNotificationUs, r.PeakRSSMiB,
			r.Notified, r.Duplicates, r.Lost, r.IDMismatches, r.OK)
	}
	tw.Flush()
}

// scenarioLabel is the table's first column: "orders max", "orders paced 6000/s".
func scenarioLabel(r *Result) string {
	if r.Rate > 0 {
		return fmt.Sprintf("%s %s %.0f/s", r.Scenario, r.Mode, r.Rate)
	}
	return r.Scenario + " " + r.Mode
}

// printBroadcastTable prints every broadcast job as one row.
func printBroadcastTable(w io.Writer, results []*Result) {
	if !slices.ContainsFunc(results, func(r *Result) bool { return r.Broadcast != nil }) {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "broadcast\trun\tidentities\tcalls\tfull calls\tonce each\tfire CPU s\tfirst call s\tlast call s\tacked s\tpeak RSS MiB\tok\t")
	for _, r := range results {
		b := r.Broadcast
		if b == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d/%d\t%d\t%v\t%.2f\t%.2f\t%.2f\t%.2f\t%.1f\t%v\t\n",
			r.System, r.Run, b.Identities, r.NotifyCalls, b.ExpectedCalls, b.FullCalls,
			b.Delivered == int64(b.Identities) && b.Duplicates == 0, r.CPUSeconds,
			b.FirstCallSeconds, b.LastCallSeconds, b.AckSeconds, r.PeakRSSMiB, r.OK)
	}
	tw.Flush()
}

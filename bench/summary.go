package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"time"
)

// report is everything a harness run prints at the end, and the JSON
// file's shape.
type report struct {
	Time      time.Time   `json:"time"`
	N         int         `json:"n"`
	Rate      float64     `json:"rate"`
	Runs      int         `json:"runs"`
	Kore      string      `json:"kore"`
	Systems   string      `json:"systems"`
	Scenarios string      `json:"scenarios"`
	RefLedger bool        `json:"ref_ledger,omitempty"` // the reference kept a ledger (-ref-ledger)
	Results   []*Result   `json:"results"`
	Ratios    []Ratio     `json:"ratios,omitempty"`
	Spread    []spreadRow `json:"spread,omitempty"`
}

// spreadRow is the min–max of one figure over the runs.
type spreadRow struct {
	What string  `json:"what"`
	Unit string  `json:"unit"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
}

func newReport(o options, results []*Result) *report {
	r := &report{Time: time.Now().UTC(), N: o.N, Rate: o.Rate, Runs: o.Runs, Kore: o.Kore,
		Systems: o.Systems, Scenarios: o.Scenarios, RefLedger: o.RefLedger, Results: results, Ratios: ratios(results)}
	if o.Runs > 1 {
		r.Spread = spreads(r.Ratios, results)
	}
	return r
}

// print writes the tables, the ratios and, over several runs, the spread.
func (r *report) print(w io.Writer) {
	printTable(w, r.Results)
	printBroadcastTable(w, r.Results)
	if r.RefLedger && len(r.Ratios) > 0 {
		fmt.Fprintln(w, "the reference keeps an idempotency ledger too (-ref-ledger): the ratios leave out the ledger's cost")
	}
	printRatios(w, r.Ratios)
	if len(r.Spread) > 0 {
		fmt.Fprintf(w, "spread over %d runs (min–max):\n", r.Runs)
		for _, s := range r.Spread {
			f := unitFormat(s.Unit)
			fmt.Fprintf(w, "  %-48s "+f+"–"+f+"%s\n", s.What, s.Min, s.Max, s.Unit)
		}
	}
}

// unitFormat is how a figure of unit is printed.
func unitFormat(unit string) string {
	switch unit {
	case "×":
		return "%.2f"
	case "µs", "MiB":
		return "%.1f "
	case "notif/s", "events/s":
		return "%.0f "
	default:
		return "%.2f "
	}
}

// write saves the report as JSON.
func (r *report) write(file string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(b, '\n'), 0o644)
}

// spreads lists the min–max of each ratio and each absolute figure.
func spreads(rs []Ratio, results []*Result) []spreadRow {
	var rows []spreadRow
	for _, mode := range []string{"max", "paced"} {
		pick := func(f func(Ratio) float64) []float64 {
			var v []float64
			for _, r := range rs {
				if r.Mode == mode {
					v = append(v, f(r))
				}
			}
			return v
		}
		name := "korelay ÷ reference, " + mode + ": "
		rows = appendSpan(rows, name+"throughput", "×", pick(func(r Ratio) float64 { return r.Throughput }))
		rows = appendSpan(rows, name+"CPU per notification", "×", pick(func(r Ratio) float64 { return r.CPUPerNotification }))
		rows = appendSpan(rows, name+"peak RSS", "×", pick(func(r Ratio) float64 { return r.PeakRSS }))
		if mode == "paced" {
			rows = appendSpan(rows, name+"p50", "×", pick(func(r Ratio) float64 { return r.P50 }))
			rows = appendSpan(rows, name+"p99", "×", pick(func(r Ratio) float64 { return r.P99 }))
			rows = appendSpan(rows, name+"p99 after 1 s", "×", pick(func(r Ratio) float64 { return r.P99Steady }))
		}
	}
	for _, g := range groups(results) {
		rows = append(rows, absoluteSpreads(g)...)
	}
	return rows
}

// groups splits the successful results by scenario, mode and system, in
// order of first appearance.
func groups(results []*Result) [][]*Result {
	var keys []string
	by := map[string][]*Result{}
	for _, r := range results {
		if !r.OK {
			continue
		}
		k := r.label()
		if _, ok := by[k]; !ok {
			keys = append(keys, k)
		}
		by[k] = append(by[k], r)
	}
	out := make([][]*Result, 0, len(keys))
	for _, k := range keys {
		out = append(out, by[k])
	}
	return out
}

// absoluteSpreads are one group's figures that matter for its scenario.
func absoluteSpreads(g []*Result) []spreadRow {
	name := g[0].label() + ": "
	col := func(f func(*Result) float64) []float64 {
		v := make([]float64, len(g))
		for i, r := range g {
			v[i] = f(r)
		}
		return v
	}
	var rows []spreadRow
	switch {
	case g[0].Broadcast != nil:
		rows = appendSpan(rows, name+"fire CPU", "s", col(func(r *Result) float64 { return r.CPUSeconds }))
		rows = appendSpan(rows, name+"fire → last call", "s", col(func(r *Result) float64 { return r.Broadcast.LastCallSeconds }))
	case g[0].Scenario == scenNoMatch:
		rows = appendSpan(rows, name+"throughput", "events/s", col(func(r *Result) float64 { return r.EventsPerSec }))
		rows = appendSpan(rows, name+"CPU per event", "µs", col(func(r *Result) float64 { return r.CPUPerEventUs }))
	default:
		rows = appendSpan(rows, name+"throughput", "notif/s", col(func(r *Result) float64 { return r.NotificationsPerSec }))
		rows = appendSpan(rows, name+"p50", "ms", col(func(r *Result) float64 { return r.P50Ms }))
		rows = appendSpan(rows, name+"p99", "ms", col(func(r *Result) float64 { return r.P99Ms }))
		if g[0].Mode == "paced" { // a max-speed run has published everything within about a second
			rows = appendSpan(rows, name+"p99 after 1 s", "ms", col(func(r *Result) float64 { return r.P99SteadyMs }))
		}
		rows = appendSpan(rows, name+"CPU per notification", "µs", col(func(r *Result) float64 { return r.CPUPerNotificationUs }))
	}
	return appendSpan(rows, name+"peak RSS", "MiB", col(func(r *Result) float64 { return r.PeakRSSMiB }))
}

// appendSpan appends the min–max of v, if any.
func appendSpan(rows []spreadRow, what, unit string, v []float64) []spreadRow {
	if len(v) == 0 {
		return rows
	}
	s := spreadRow{What: what, Unit: unit, Min: math.Inf(1), Max: math.Inf(-1)}
	for _, x := range v {
		s.Min, s.Max = math.Min(s.Min, x), math.Max(s.Max, x)
	}
	return append(rows, s)
}

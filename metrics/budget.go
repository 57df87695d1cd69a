package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// BudgetReading is the Kore budget's spending at one moment.
type BudgetReading struct {
	// Minute and Hour count the calls in each rolling window.
	Minute, Hour int
	// PerMinute and PerHour are the limits; 0 when that window is unlimited.
	PerMinute, PerHour int
}

// BudgetGauges exports the Kore budget in use when Prometheus scrapes:
// korelay_budget_used{window} and, for limited windows,
// korelay_budget_limit{window}. Nothing is exported while no reader is set.
type BudgetGauges struct {
	used, limit *prometheus.Desc
	read        atomic.Pointer[func() BudgetReading]
}

func newBudgetGauges() *BudgetGauges {
	return &BudgetGauges{
		used: prometheus.NewDesc("korelay_budget_used",
			"Kore calls counted in the rolling window (minute, hour), fleet-wide when the budget is shared.",
			[]string{"window"}, nil),
		limit: prometheus.NewDesc("korelay_budget_limit",
			"Kore calls allowed in the rolling window (minute, hour): kore.budget.",
			[]string{"window"}, nil),
	}
}

// Read makes read the source of the gauges; nil stops exporting them (the
// budget is gone, as after a stop).
func (g *BudgetGauges) Read(read func() BudgetReading) {
	if read == nil {
		g.read.Store(nil)
		return
	}
	g.read.Store(&read)
}

// Describe implements prometheus.Collector.
func (g *BudgetGauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- g.used
	ch <- g.limit
}

// Collect implements prometheus.Collector.
func (g *BudgetGauges) Collect(ch chan<- prometheus.Metric) {
	read := g.read.Load()
	if read == nil {
		return
	}
	r := (*read)()
	for _, w := range []struct {
		name        string
		used, limit int
	}{{"minute", r.Minute, r.PerMinute}, {"hour", r.Hour, r.PerHour}} {
		ch <- prometheus.MustNewConstMetric(g.used, prometheus.GaugeValue, float64(w.used), w.name)
		if w.limit > 0 {
			ch <- prometheus.MustNewConstMetric(g.limit, prometheus.GaugeValue, float64(w.limit), w.name)
		}
	}
}

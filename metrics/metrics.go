// Package metrics defines korelay's Prometheus metrics. There is no global
// registry: New registers the collectors on the registerer it is given, and
// the packages that count things receive the *Metrics they should use.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Event outcomes for Events.
const (
	OutcomeAccepted = "accepted" // stored (webhook, cron) or consumed (nats)
	OutcomeRejected = "rejected" // refused at the door (auth, size, type)
	OutcomeFailed   = "failed"   // could not be stored or decoded
	OutcomeMatched  = "matched"  // processed, at least one rule matched
	OutcomeNoMatch  = "no_match" // processed, no rule matched
)

// Notification outcomes for Notifications.
const (
	OutcomeSent         = "sent"
	OutcomeDuplicate    = "duplicate"
	OutcomeShadow       = "shadow"
	OutcomeDeadLettered = "dead_lettered"
	OutcomeDryRun       = "dry_run"
)

// Metrics holds every collector korelay exports. Field names follow the
// metric names in docs/operations.md.
type Metrics struct {
	// Events counts events by source (nats|webhook|cron) and outcome.
	Events *prometheus.CounterVec
	// RuleMatches counts events matched per rule.
	RuleMatches *prometheus.CounterVec
	// Notifications counts notification identities by rule, channel and outcome.
	Notifications *prometheus.CounterVec
	// KoreRequests counts calls to Kore by endpoint and HTTP status code.
	KoreRequests *prometheus.CounterVec
	// KoreRequestDuration observes Kore call latency.
	KoreRequestDuration *prometheus.HistogramVec
	// DeadLetters counts dead letters by rule and reason.
	DeadLetters *prometheus.CounterVec
	// ConfigLastReloadSuccessful is 1 after a good start or reload, 0 after a failed reload.
	ConfigLastReloadSuccessful prometheus.Gauge
	// BudgetWait observes how long notifications waited for Kore budget.
	BudgetWait prometheus.Histogram
	// JournalDropped counts delivery-journal records not written, by
	// reason (full: korelay was writing faster than the journal took;
	// failed: NATS refused or failed the write).
	JournalDropped *prometheus.CounterVec
	// HeldNotifications is how many notifications quiet hours (kind
	// "quiet") and digests ("digest") hold now.
	HeldNotifications *prometheus.GaugeVec
	// Budget exports the Kore budget's spending and limits per window.
	Budget *BudgetGauges
}

// New creates the collectors and registers them on reg (nil: not registered,
// useful in tests).
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "korelay_events_total", Help: "Events by source and outcome.",
		}, []string{"source", "outcome"}),
		RuleMatches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "korelay_rule_matches_total", Help: "Events matched by each rule.",
		}, []string{"rule"}),
		Notifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "korelay_notifications_total", Help: "Notified identities by rule, channel and outcome.",
		}, []string{"rule", "channel", "outcome"}),
		KoreRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "korelay_kore_requests_total", Help: "Requests to Kore by endpoint and HTTP status code.",
		}, []string{"endpoint", "code"}),
		KoreRequestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "korelay_kore_request_duration_seconds",
			Help:    "Latency of requests to Kore.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"endpoint"}),
		DeadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "korelay_dead_letters_total", Help: "Dead letters by rule and reason.",
		}, []string{"rule", "reason"}),
		ConfigLastReloadSuccessful: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "korelay_config_last_reload_successful", Help: "1 if the last start or rule reload succeeded.",
		}),
		BudgetWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "korelay_budget_wait_seconds",
			Help:    "Time notifications waited for Kore rate budget.",
			Buckets: []float64{.001, .01, .1, .5, 1, 5, 10, 30, 60, 300},
		}),
		JournalDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "korelay_journal_dropped_total", Help: "Delivery-journal records not written, by reason (full, failed).",
		}, []string{"reason"}),
		HeldNotifications: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "korelay_held_notifications", Help: "Notifications held by quiet hours and digests, by kind (quiet, digest).",
		}, []string{"kind"}),
		Budget: newBudgetGauges(),
	}
	if reg != nil {
		reg.MustRegister(m.Events, m.RuleMatches, m.Notifications, m.KoreRequests,
			m.KoreRequestDuration, m.DeadLetters, m.ConfigLastReloadSuccessful, m.BudgetWait,
			m.JournalDropped, m.HeldNotifications, m.Budget)
	}
	return m
}

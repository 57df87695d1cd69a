package service

import (
	"time"

	"github.com/korelay/korelay/adapters/delivery"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/config"
	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/rules"
	"github.com/korelay/korelay/triggers/cron"
	"github.com/korelay/korelay/triggers/webhook"
)

// webhookHooks turns the webhooks section into the webhook trigger's hooks.
func webhookHooks(cfg *config.Config) []webhook.Hook {
	hooks := make([]webhook.Hook, 0, len(cfg.Webhooks))
	for name, w := range cfg.Webhooks {
		hooks = append(hooks, webhook.Hook{Name: name, Auth: webhook.Auth{
			Type: w.Auth.Type, Secrets: w.Auth.AllSecrets(), Header: w.Auth.Header,
			Prefix: w.Auth.Prefix, Encoding: w.Auth.Encoding,
		}})
	}
	return hooks
}

// cronJobs lists the cron rules as the cron trigger's jobs.
func cronJobs(set *rules.Set) []cron.Job {
	var jobs []cron.Job
	for _, r := range set.CronRules() {
		jobs = append(jobs, cron.Job{Rule: r.Name, Schedule: r.Schedule, CatchUp: r.On.CatchUp})
	}
	return jobs
}

// statusChecker returns the notifier's job-status side, if it has one.
func statusChecker(n Notifier) delivery.StatusChecker {
	if sc, ok := n.(delivery.StatusChecker); ok {
		return sc
	}
	return nil
}

// jobResult logs the per-identity results of a tracked notify job.
func (s *Service) jobResult(job *kore.Job) {
	failed := 0
	for _, l := range job.StatusLogs {
		if l.Status != "SUCCESS" {
			failed++
			s.log.Warn("identity not notified", "job_id", job.ID, "identity", l.OriginalID, "comments", l.Comments)
		}
	}
	s.log.Info("notify job finished", "job_id", job.ID, "status", job.Status, "identities", len(job.StatusLogs), "failed", failed)
}

// cronFired logs and counts a cron fire.
func (s *Service) cronFired(rule string, scheduled time.Time, err error) {
	if err != nil {
		s.log.Warn("cron fire not stored yet; retrying", "rule", rule, "scheduled", scheduled, "err", err)
		return
	}
	s.metrics.Events.WithLabelValues(string(rules.SourceCron), "accepted").Inc()
	s.log.Debug("cron fired", "rule", rule, "scheduled", scheduled)
}

// Compile-time checks: what the transports hand out fits the triggers.
var (
	_ cron.Publisher    = broker.Transport(nil)
	_ cron.StateStore   = broker.FireStore(nil)
	_ webhook.Publisher = broker.Transport(nil)
	_ delivery.Ledger   = broker.KeyLedger(nil)
)

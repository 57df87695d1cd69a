package service

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Reload loads the rules again and, while the service runs, hands them to
// the triggers (new NATS subjects join the ingest stream, cron rules start
// and stop). On any error the old rules stay in force, every error is
// logged with its position and korelay_config_last_reload_successful drops
// to 0.
func (s *Service) Reload() error {
	if err := s.swapRules(); err != nil {
		return err
	}
	if rt := s.running.Load(); rt != nil {
		rt.applyRules(context.Background())
	}
	return nil
}

// swapRules loads the rules and puts them in force if they are valid.
func (s *Service) swapRules() error {
	set, err := s.loadRules()
	if err != nil {
		s.metrics.ConfigLastReloadSuccessful.Set(0)
		for _, line := range strings.Split(err.Error(), "\n") {
			s.log.Error("rule reload failed; keeping the old rules", "err", line)
		}
		return err
	}
	s.rules.Store(set)
	s.metrics.ConfigLastReloadSuccessful.Set(1)
	s.log.Info("rules reloaded", "rules", len(set.Rules()))
	return nil
}

// watchRules reloads on the Reload channel and when a rule or dataset file
// changes, and applies a good reload to the triggers.
func (s *Service) watchRules(ctx context.Context, rt *runtime) {
	var tick <-chan time.Time
	if s.opts.WatchInterval > 0 {
		t := time.NewTicker(s.opts.WatchInterval)
		defer t.Stop()
		tick = t.C
	}
	last := s.fingerprint()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.opts.Reload:
			// The files as reloaded now: the next tick must not reload
			// them again.
			last = s.fingerprint()
		case <-tick:
			fp := s.fingerprint()
			if fp == last {
				continue
			}
			last = fp
		}
		if s.swapRules() == nil {
			rt.applyRules(ctx)
		}
	}
}

// applyRules hands a newly loaded rule set to the triggers.
func (rt *runtime) applyRules(ctx context.Context) {
	set := rt.s.Rules()
	rt.cron.Update(cronJobs(set))
	if err := rt.transport.UpdateSubjects(ctx, set.NATSSubjects()); err != nil {
		rt.s.log.Error("rules reloaded but korelay could not start reading their NATS subjects", "err", err)
	}
}

// fingerprint summarises the rule and dataset files (names, sizes, times),
// including files that new glob matches would add.
func (s *Service) fingerprint() string {
	var names []string
	for _, g := range s.cfg.Rules {
		m, _ := filepath.Glob(s.cfg.Path(g))
		names = append(names, m...)
	}
	for _, p := range s.cfg.Datasets {
		names = append(names, p)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		st, err := os.Stat(n)
		if err != nil {
			fmt.Fprintf(&b, "%s:missing;", n)
			continue
		}
		fmt.Fprintf(&b, "%s:%d:%d;", n, st.Size(), st.ModTime().UnixNano())
	}
	return b.String()
}

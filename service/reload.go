package service

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/korelay/korelay/config"
	"github.com/korelay/korelay/rules"
)

// Reload reads the configuration file and the rules again and, while the
// service runs, hands them to the triggers: groups, datasets, webhooks and
// rules change at once (new NATS subjects are read, cron rules start and
// stop); settings that need a restart (restartOnly: kore, nats, http,
// log, dry_run, journal) are named in a warning and keep their running
// values. On any error nothing changes, every error is logged with its
// position and korelay_config_last_reload_successful drops to 0.
func (s *Service) Reload() error {
	if err := s.reload(); err != nil {
		return err
	}
	if rt := s.running.Load(); rt != nil {
		rt.apply(context.Background())
	}
	return nil
}

// reload loads the configuration and the rules and puts them in force if
// both are valid.
func (s *Service) reload() error {
	cfg, set, err := s.loadAll()
	if err != nil {
		s.metrics.ConfigLastReloadSuccessful.Set(0)
		for _, line := range strings.Split(err.Error(), "\n") {
			s.log.Error("reload failed; keeping the running configuration and rules", "err", line)
		}
		return err
	}
	if keys := needsRestart(s.Config(), cfg); len(keys) > 0 {
		s.log.Warn("reload: these settings changed but take effect only after a restart", "keys", strings.Join(keys, ", "))
	}
	s.config.Store(cfg)
	s.rules.Store(set)
	s.metrics.ConfigLastReloadSuccessful.Set(1)
	s.log.Info("configuration and rules reloaded", "rules", len(set.Rules()))
	return nil
}

// loadAll reads the configuration file again and checks what korelay run
// would build from it.
func (s *Service) loadAll() (*config.Config, *rules.Set, error) {
	cfg, err := s.opts.LoadConfig()
	if err != nil {
		return nil, nil, err
	}
	set, err := Check(cfg, s.opts.Now)
	if err != nil {
		return nil, nil, err
	}
	if rt := s.running.Load(); rt != nil {
		if err := checkHeld(set, rt.heldErr); err != nil {
			return nil, nil, err
		}
	}
	return cfg, set, nil
}

// watchFiles reloads on the Reload channel and when the configuration
// file, a rule file or a dataset changes, and applies a good reload.
func (s *Service) watchFiles(ctx context.Context, rt *runtime) {
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
		if s.reload() == nil {
			rt.apply(ctx)
		}
	}
}

// apply hands a newly loaded configuration and rule set to the triggers.
func (rt *runtime) apply(ctx context.Context) {
	cfg, set := rt.s.Config(), rt.s.Rules()
	if rt.hooks != nil {
		// Check accepted these hooks; an error here is a bug.
		if err := rt.hooks.Update(webhookHooks(cfg)); err != nil {
			rt.s.log.Error("webhooks not reloaded", "err", err)
		}
	}
	rt.cron.Update(cronJobs(set))
	if err := rt.transport.UpdateSubjects(ctx, set.NATSSubjects()); err != nil {
		rt.s.log.Error("rules reloaded but korelay could not start reading their NATS subjects", "err", err)
	}
}

// fingerprint summarises the configuration, rule and dataset files (names,
// sizes, times), including files that new glob matches would add.
func (s *Service) fingerprint() string {
	cfg := s.Config()
	names := []string{cfg.File}
	for _, g := range cfg.Rules {
		m, _ := filepath.Glob(cfg.Path(g))
		names = append(names, m...)
	}
	for _, p := range cfg.Datasets {
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

package main

import (
	"context"
	"path/filepath"
	"strconv"
	"time"
)

// readyLimit bounds a system's start.
const readyLimit = 30 * time.Second

// started is a running system under test.
type started struct {
	proc   *proc
	stream string // its ingest stream
	// korelay only: what a restart (-kill) needs.
	cfg, httpAddr string
}

// startKorelayFor writes korelay's config (rules: the rule file) against
// the run's NATS and fake Kore, starts it and waits until it is ready.
func startKorelayFor(ctx context.Context, o options, bin, dir, natsURL string, k *fakeKore, rules, extra string) (*started, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cfg, err := writeConfig(dir, korelayConfig{NATSURL: natsURL, HTTPAddr: addr, Kore: k, LogLevel: o.LogLevel,
		PerMinute: o.BudgetMinute, PerHour: o.BudgetHour, Rules: rules, Extra: extra + "\n" + o.KorelayConfig + "\n"})
	if err != nil {
		return nil, err
	}
	profile := ""
	if o.KorelayProfile != "" {
		profile = filepath.Join(o.KorelayProfile, "korelay-"+filepath.Base(dir)+".prof")
	}
	p, err := startKorelay(bin, cfg, dir, "korelay.log", profile)
	if err != nil {
		return nil, err
	}
	if err := p.waitReady(ctx, readyz(addr), readyLimit); err != nil {
		p.kill()
		return nil, err
	}
	return &started{proc: p, stream: streamName, cfg: cfg, httpAddr: addr}, nil
}

// startReference starts the reference consumer against the run's NATS and
// fake Kore and waits until it consumes.
func startReference(ctx context.Context, o options, bin, dir, natsURL string, k *fakeKore) (*started, error) {
	ready := filepath.Join(dir, "reference.ready")
	args := []string{
		"-nats", natsURL, "-kore", k.URL, "-bot", k.BotID, "-client-id", k.ClientID, "-client-secret", k.ClientSecret,
		"-stream", refStreamName, "-subject", ruleSubject,
		"-workers", strconv.Itoa(o.Workers), "-batch", strconv.Itoa(o.Batch),
		"-drain", o.Drain.String(), "-ready", ready,
	}
	if o.RefLedger {
		args = append(args, "-ledger", refLedgerBucket)
	}
	if o.KorelayProfile != "" {
		args = append(args, "-cpuprofile", filepath.Join(o.KorelayProfile, "reference-"+filepath.Base(dir)+".prof"))
	}
	p, err := startProc(sysReference, bin, args, dir, "reference.log")
	if err != nil {
		return nil, err
	}
	if err := p.waitReady(ctx, fileExists(ready), readyLimit); err != nil {
		p.kill()
		return nil, err
	}
	return &started{proc: p, stream: refStreamName}, nil
}

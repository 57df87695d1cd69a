package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/korelay/korelay/adapters/dryrun"
	"github.com/korelay/korelay/internal/cpuprofile"
	"github.com/korelay/korelay/internal/startmem"
	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/metrics"
	"github.com/korelay/korelay/service"
)

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", stderr)
	file := configFlag(fs)
	dryRun := fs.Bool("dry-run", false, "print each Kore call as a JSON line instead of sending it")
	logFormat := fs.String("log-format", "", "text or json (default: log.format from the config)")
	logLevel := fs.String("log-level", "", "debug, info, warn or error (default: log.level from the config)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this `file` until korelay stops (for go tool pprof)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	stopProfile, err := cpuprofile.Start(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	if !slices.Contains([]string{"", "debug", "info", "warn", "error"}, *logLevel) {
		return usageError(fs, "-log-level %q: want debug, info, warn or error", *logLevel)
	}
	if !slices.Contains([]string{"", "text", "json"}, *logFormat) {
		return usageError(fs, "-log-format %q: want text or json", *logFormat)
	}
	cfg, err := loadConfig(*file, stderr)
	if err != nil {
		return err
	}
	logOut := newBatchWriter(stderr)
	defer logOut.Close()
	log := newLogger(logOut, orConfig(*logLevel, cfg.Log.Level), orConfig(*logFormat, cfg.Log.Format))
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := metrics.New(reg)
	var notifier service.Notifier
	if *dryRun || cfg.DryRun {
		notifier = dryrun.New(stdout)
		log.Info("dry run: Kore calls are printed, not sent")
	} else {
		client, err := koreClient(cfg, m.InstrumentKore(kore.NewTransport()))
		if err != nil {
			return fmt.Errorf("%w\nrun needs Kore credentials, or -dry-run to print what would be sent", err)
		}
		notifier = client
	}
	reload := make(chan struct{}, 1)
	stopHUP := forwardSIGHUP(reload)
	defer stopHUP()
	ready := make(chan struct{})
	svc, err := service.New(service.Options{
		Config: cfg, Notifier: notifier, Logger: log, Registry: reg, Metrics: m, Reload: reload, DryRun: *dryRun,
		Ready: ready,
	})
	if err != nil {
		return err
	}
	runCtx, stop := logStop(ctx, log)
	defer stop()
	go releaseStartPages(runCtx, ready, log)
	return svc.Run(runCtx)
}

// releaseStartPages, once the service is up, gives back the pages of the
// executable that only start-up used (see startmem).
func releaseStartPages(ctx context.Context, ready <-chan struct{}, log *slog.Logger) {
	select {
	case <-ready:
	case <-ctx.Done():
		return
	}
	r, err := startmem.Release()
	if err != nil {
		log.Debug("start-up pages kept", "err", err)
		return
	}
	log.Debug("start-up pages released", "mappings", r.Mappings, "executable_resident_before", r.Before, "after", r.After)
}

// logStop returns a context that ends when ctx does, after logging the
// signal that ended ctx (if one did), so that line comes before anything
// the service logs while draining. stop releases it.
func logStop(ctx context.Context, log *slog.Logger) (context.Context, func()) {
	runCtx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	go func() {
		select {
		case <-ctx.Done():
		case <-runCtx.Done():
			return
		}
		if sig, ok := receivedSignal(ctx); ok {
			log.Info("stopping: received "+signalName(sig), "signal", signalName(sig))
		}
		cancel(context.Cause(ctx))
	}()
	return runCtx, func() { cancel(nil) }
}

func orConfig(flagValue, configValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return configValue
}

// forwardSIGHUP turns SIGHUP into a reload request.
func forwardSIGHUP(reload chan<- struct{}) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-hup:
				select {
				case reload <- struct{}{}:
				default:
				}
			case <-done:
				return
			}
		}
	}()
	return func() { signal.Stop(hup); close(done) }
}

package service

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/korelay/korelay/adapters/dryrun"
	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/config"
	"github.com/korelay/korelay/internal/syncbuf"
	"github.com/korelay/korelay/triggers/cron"
)

// A SIGHUP reload of changed files is the only reload of that change: the
// file watcher's next tick does not load (and, for a broken file, log) the
// same rules again.
func TestWatchRulesReloadsAChangeOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		file := filepath.Join(dir, "rules.yaml")
		writeFile(t, file, greetRules("v1", "greet.>"))
		writeFile(t, filepath.Join(dir, "korelay.yaml"), "rules: [./rules.yaml]\n")
		cfg, err := config.Load(filepath.Join(dir, "korelay.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		logs := &syncbuf.Buffer{}
		reload := make(chan struct{})
		s, err := New(Options{
			Config: cfg, Notifier: dryrun.New(io.Discard), Reload: reload, WatchInterval: time.Second,
			Logger: slog.New(slog.NewTextHandler(logs, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		rt := &runtime{s: s, cron: cron.New(nil, nil, cron.Options{}), transport: subjectsOnly{}}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { s.watchFiles(ctx, rt); close(done) }()
		synctest.Wait()

		writeFile(t, file, greetRules("v2-changed", "greet.>"))
		reload <- struct{}{}
		time.Sleep(5 * time.Second) // five watcher ticks
		synctest.Wait()
		cancel()
		<-done
		if n := strings.Count(logs.String(), "rules reloaded"); n != 1 {
			t.Errorf("one change and one SIGHUP reloaded the rules %d times, want 1:\n%s", n, logs.String())
		}
	})
}

// subjectsOnly is a transport that only follows subject changes.
type subjectsOnly struct{ broker.Transport }

func (subjectsOnly) UpdateSubjects(context.Context, []string) error { return nil }

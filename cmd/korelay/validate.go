package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/korelay/korelay/config"
	"github.com/korelay/korelay/rules"
	"github.com/korelay/korelay/service"
)

func cmdValidate(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("validate", stderr)
	file := configFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*file, stderr)
	var set *rules.Set
	var invalid *config.InvalidError
	switch {
	case errors.As(err, &invalid):
		// Go on with the rules, so every phase's problems show at once;
		// the configuration's own (webhooks among them) are in err.
		var rerr error
		set, rerr = service.LoadRules(invalid.Config, time.Now)
		err = errors.Join(err, rerr)
	case err == nil:
		set, err = service.Check(cfg, time.Now)
	}
	if err != nil {
		printErrorLines(stderr, err)
		return errFailed
	}
	fmt.Fprintf(stdout, "%s: ok: %s in %s\n", cfg.File, plural(len(set.Rules()), "rule", "rules"),
		plural(countRuleFiles(set.Files(), cfg), "rule file", "rule files"))
	return nil
}

// countRuleFiles counts the rule files among files, which also lists the
// dataset files the rules read.
func countRuleFiles(files []string, cfg *config.Config) int {
	datasets := make(map[string]bool, len(cfg.Datasets))
	for _, p := range cfg.Datasets {
		datasets[filepath.Clean(p)] = true
	}
	n := 0
	for _, f := range files {
		if !datasets[filepath.Clean(f)] {
			n++
		}
	}
	return n
}

// printErrorLines prints a joined error one line each, as written: the
// lines already begin with file:line:col.
func printErrorLines(w io.Writer, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			fmt.Fprintln(w, line)
		}
	}
}

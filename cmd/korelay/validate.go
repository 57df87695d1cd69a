package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/korelay/korelay/service"
)

func cmdValidate(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("validate", stderr)
	file := configFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*file, stderr)
	if err != nil {
		printErrorLines(stderr, err)
		return errFailed
	}
	set, err := service.LoadRules(cfg, time.Now)
	if err != nil {
		printErrorLines(stderr, err)
		return errFailed
	}
	fmt.Fprintf(stdout, "%s: ok: %d rules in %d files\n", cfg.File, len(set.Rules()), len(set.Files()))
	return nil
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

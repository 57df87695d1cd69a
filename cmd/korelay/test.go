package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/korelay/korelay/rules/ruletest"
	"github.com/korelay/korelay/service"
)

func cmdTest(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("test", stderr)
	file := configFlag(fs)
	verbose := fs.Bool("v", false, "print every case, not only failures")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError(fs, "name at least one test file")
	}
	cfg, err := loadConfig(*file, stderr)
	if err != nil {
		return err
	}
	clock := &ruletest.Clock{}
	set, err := service.Check(cfg, clock.Now)
	if err != nil {
		printErrorLines(stderr, err)
		return errFailed
	}
	passed, failed := 0, 0
	start := time.Now()
	for _, name := range fs.Args() {
		cases, err := ruletest.LoadFile(name)
		if err != nil {
			printErrorLines(stderr, err)
			failed++
			continue
		}
		cases = slices.DeleteFunc(cases, func(c ruletest.Case) bool {
			if err := checkWebhookTrigger(cfg, c.On); err != nil {
				failed++
				fmt.Fprintf(stdout, "FAIL %s:%d: %s\n    %v\n", c.File, c.Line, c.Name, err)
				return true
			}
			return false
		})
		for _, r := range ruletest.Run(set, clock, cases, start) {
			if r.Passed() {
				passed++
				if *verbose {
					fmt.Fprintf(stdout, "PASS %s:%d: %s\n", r.Case.File, r.Case.Line, r.Case.Name)
				}
				continue
			}
			failed++
			fmt.Fprintf(stdout, "FAIL %s:%d: %s\n    %s\n", r.Case.File, r.Case.Line, r.Case.Name, strings.Join(r.Problems, "\n    "))
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return errFailed
	}
	return nil
}

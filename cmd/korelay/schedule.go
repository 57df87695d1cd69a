package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/korelay/korelay/service"
)

func cmdSchedule(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("schedule", stderr)
	file := configFlag(fs)
	n := fs.Int("n", 5, "fires to list per rule")
	from := fs.String("from", "", "list fires after this RFC 3339 `time` instead of now")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n < 1 {
		return usageError(fs, "-n must be at least 1")
	}
	after := time.Now()
	if *from != "" {
		t, err := time.Parse(time.RFC3339, *from)
		if err != nil {
			return usageError(fs, "-from: %v", err)
		}
		after = t
	}
	cfg, err := loadConfig(*file, stderr)
	if err != nil {
		return err
	}
	set, err := service.LoadRules(cfg, time.Now)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, r := range set.CronRules() {
		for _, f := range r.Schedule.NextN(after, *n) {
			line := fmt.Sprintf("%s\t%s\t%s", r.Name, f.Time.Format(time.RFC3339), r.Schedule.Location())
			if f.Note != "" {
				line += "\t" + f.Note
			}
			fmt.Fprintln(tw, line)
		}
	}
	return tw.Flush()
}

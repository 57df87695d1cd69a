package main

import (
	"context"
	"errors"
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
	from := fs.String("from", "", "list fires after this `time` instead of now: RFC 3339, or a date\n(2027-11-06: from 00:00 UTC that day, a fire at that instant included)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n < 1 {
		return usageError(fs, "-n must be at least 1")
	}
	after := time.Now()
	if *from != "" {
		t, err := parseFrom(*from)
		if err != nil {
			return usageError(fs, "-from %q: %v", *from, err)
		}
		after = t
	}
	cfg, err := loadConfig(*file, stderr)
	if err != nil {
		return err
	}
	set, err := service.Check(cfg, time.Now)
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

// parseFrom reads -from: an RFC 3339 time (fires strictly after it are
// listed), or a date, which starts at 00:00 UTC and includes a fire at that
// very instant.
func parseFrom(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, errors.New("want an RFC 3339 time (2027-11-06T09:00:00+01:00) or a date (2027-11-06)")
	}
	return d.Add(-time.Nanosecond), nil
}

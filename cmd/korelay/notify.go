package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/korelay/korelay/adapters/dryrun"
	"github.com/korelay/korelay/kore"
)

// notifier is what the notify command needs from Kore (or the dry run).
type notifier interface {
	Notify(ctx context.Context, req kore.NotifyRequest) (*kore.Job, error)
}

func cmdNotify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("notify", stderr)
	file := configFlag(fs)
	channel := fs.String("channel", "", "msteams or slack")
	to := fs.String("to", "", "comma-separated identities (e-mail-like)")
	text := fs.String("text", "", "the message text")
	script := fs.String("script", "", "a JavaScript message (instead of -text)")
	dryRun := fs.Bool("dry-run", false, "print the requests instead of sending them")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *channel != kore.ChannelMSTeams && *channel != kore.ChannelSlack {
		return usageError(fs, "-channel %q: want %s or %s", *channel, kore.ChannelMSTeams, kore.ChannelSlack)
	}
	msg := kore.Message{Type: kore.MessageText, Val: *text}
	switch {
	case *text != "" && *script != "":
		return usageError(fs, "give -text or -script, not both")
	case *script != "":
		msg = kore.Message{Type: kore.MessageScript, Val: *script}
	case *text == "":
		return usageError(fs, "-text or -script is required")
	}
	ids := splitList(*to)
	if len(ids) == 0 {
		return usageError(fs, "-to needs at least one identity")
	}
	n, err := notifierFor(*file, *dryRun, stdout, stderr)
	if err != nil {
		return err
	}
	for start := 0; start < len(ids); start += kore.MaxIdentities {
		chunk := ids[start:min(start+kore.MaxIdentities, len(ids))]
		job, err := n.Notify(ctx, kore.NotifyRequest{Channel: *channel, Message: msg, Identities: chunk})
		if err != nil {
			return fmt.Errorf("notify identities %d-%d of %d: %w", start+1, start+len(chunk), len(ids), err)
		}
		fmt.Fprintf(stdout, "job %s: %s, %s\n", job.ID, job.Status, plural(len(chunk), "identity", "identities"))
	}
	return nil
}

func notifierFor(file string, dryRun bool, stdout, stderr io.Writer) (notifier, error) {
	cfg, err := loadConfig(file, stderr)
	if err != nil {
		return nil, err
	}
	if dryRun || cfg.DryRun {
		return validating{dryrun.New(stdout)}, nil
	}
	return koreClient(cfg, nil)
}

// validating checks requests as the Kore client would before a dry run
// prints them, so a dry run fails where the real call would.
type validating struct{ next notifier }

func (v validating) Notify(ctx context.Context, req kore.NotifyRequest) (*kore.Job, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	return v.next.Notify(ctx, req)
}

// splitList splits a comma-separated list, dropping blanks and repeats.
func splitList(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part != "" && !seen[part] {
			seen[part] = true
			out = append(out, part)
		}
	}
	return out
}

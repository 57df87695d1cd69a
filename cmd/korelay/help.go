package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// topic is the help of one command, or of one action of a command with
// actions ("dlq list"): `korelay help NAME` and `korelay NAME -h` print it
// on stdout.
type topic struct {
	name  string // "eval", "dlq list"
	usage string // the usage line, without "usage: "
	doc   string // what it does, a few lines
}

// topics returns the help of every command and action.
func topics() []topic {
	return []topic{
		{"run", "korelay run [-config F] [-dry-run] [-log-level L] [-log-format F]",
			"Run triggers, rules and delivery until SIGINT or SIGTERM, then drain gracefully.\n" +
				"SIGHUP, or a changed rule file, config file or dataset, reloads rules, groups,\n" +
				"datasets and webhooks; an invalid reload keeps the old ones."},
		{"validate", "korelay validate [-config F]",
			"Check everything run would refuse, short of binding ports and connecting: the\n" +
				"config, every rule file, expression, template and dataset. Each error is printed\n" +
				"as file:line:col: message; exit 1 on any error."},
		{"eval", "korelay eval [-config F] -on nats:SUBJECT|webhook:NAME|cron:RULE -event FILE [-at TIME] [-json]",
			"Show, without sending, the notifications and device actions one event would\n" +
				"produce, and the rules that failed to render. -at evaluates as of another time\n" +
				"(RFC 3339) and shows what quiet hours or a digest would hold, and until when.\n" +
				"Exit 1 when any rule failed, so eval can gate CI."},
		{"test", "korelay test [-config F] [-v] FILE...",
			"Run rule unit-test files; exit 1 on any failure."},
		{"schedule", "korelay schedule [-config F] [-n 5] [-from TIME]",
			"List the next fire times of every cron rule, in its time zone, one a line:\n" +
				"RULE  TIME  ZONE  [note]; the note says when a DST change moved or merged a fire."},
		{"notify", "korelay notify [-config F] -channel msteams|slack -to ID[,ID] (-text T | -script S) [-dry-run]",
			"Send a one-off notification through the configured Kore bot, in calls of at most\n" +
				"1000 identities; -dry-run prints the requests instead."},
		{"devices", "korelay devices subscribe|list|unsubscribe [flags]",
			"Manage a user's SDK push device subscriptions in Kore.\n\n" +
				"actions:\n" +
				"  subscribe    subscribe one device of a user\n" +
				"  list         list a user's subscribed devices\n" +
				"  unsubscribe  unsubscribe some devices of a user, or all of them\n\n" +
				"Run 'korelay help devices ACTION' for an action's flags."},
		{"devices subscribe", "korelay devices subscribe [-config F] -user U -device D -os android|ios [-dry-run]",
			"Subscribe one device of a user to SDK push notifications. -os is case-insensitive\n" +
				"and sent as Kore spells it (Android, iOS)."},
		{"devices list", "korelay devices list [-config F] -user U [-dry-run]",
			"List a user's subscribed devices. A dry run prints the request; it does not\n" +
				"query Kore, so it lists no devices."},
		{"devices unsubscribe", "korelay devices unsubscribe [-config F] -user U (-device D ... [-os android|ios] | -all) [-dry-run]",
			"Unsubscribe devices of a user, or all of them with -all. Without -os, each\n" +
				"device's OS type is looked up in the user's device list first (a dry run prints\n" +
				"that lookup instead of making it)."},
		{"dlq", "korelay dlq list|show|replay|drop [flags]",
			"Inspect, re-drive (after a fix) or discard dead-lettered events. Dead letters are\n" +
				"selected by the event id (the id of a webhook's 202 answer, of the logs and of\n" +
				"dlq list) with -id, and by rule with -rule (_event: failed before any rule);\n" +
				"the two combine.\n\n" +
				"actions:\n" +
				"  list    one line per dead letter\n" +
				"  show    everything about each dead letter: payload, headers, error, Kore's answer\n" +
				"  replay  put the events back on the ingest stream under their own ids, then remove\n" +
				"          their dead letters\n" +
				"  drop    remove dead letters\n\n" +
				"Run 'korelay help dlq ACTION' for an action's flags."},
		{"dlq list", "korelay dlq list [-config F] [-rule R] [-id EVENT_ID] [-json]",
			"List dead letters, oldest first, as a table: EVENT, TIME, RULE, REASON, ATTEMPTS,\n" +
				"IDENTITIES, ERROR. -json prints one JSON object a line (JSON Lines) instead."},
		{"dlq show", "korelay dlq show [-config F] [-rule R] [-id EVENT_ID] [-json]",
			"Print everything about the selected dead letters: event id, rule, reason, error,\n" +
				"attempts, time, identities, message, Kore's response, headers and the payload\n" +
				"(indented when JSON). -json prints one JSON object a line (JSON Lines)."},
		{"dlq replay", "korelay dlq replay [-config F] [-rule R] [-id EVENT_ID]",
			"Put the selected dead letters' events back on the ingest stream, once per event,\n" +
				"under their own event ids, then remove those dead letters. Every rule bound to\n" +
				"the event runs again; what was already sent is suppressed by the ledger. Without\n" +
				"-rule or -id, every dead letter is replayed."},
		{"dlq drop", "korelay dlq drop [-config F] [-rule R] [-id EVENT_ID] [-all]",
			"Remove the selected dead letters for good. Without -rule or -id it refuses to\n" +
				"run: dropping every dead letter needs -all."},
		{"explain", "korelay explain [-config F] [-json] EVENT_ID",
			"Tell the story of one event, from what korelay recorded in its delivery journal\n" +
				"(the KORELAY_JOURNAL stream, kept journal.max_age) and its dead-letter stream:\n" +
				"the trigger (source, subject, webhook or schedule, time, payload size and the\n" +
				"payload's start), each rule bound to it and what it did (when false, matched,\n" +
				"shadow, render or decode error), each notification (channel, identities, dedup\n" +
				"key, ledger hit or sent, job id), each Kore call (time, status, job id, attempt,\n" +
				"Retry-After), held and digested notifications and the dead letters stored now.\n" +
				"EVENT_ID is the id of a webhook's 202 answer, of the logs and of dlq list.\n" +
				"Exit 1 when korelay recorded nothing of the event. It reaches NATS as dlq does."},
		{"probe", "korelay probe [-timeout 2s] URL",
			"GET URL and exit 0 on a 2xx answer, 1 on anything else (redirects are not\n" +
				"followed): the health check of an image without a shell, e.g.\n" +
				"korelay probe http://127.0.0.1:8080/healthz."},
		{"version", "korelay version", "Print korelay's version (also: korelay --version)."},
	}
}

// topicFor returns the help of name; ok is false for an unknown name.
func topicFor(name string) (topic, bool) {
	for _, t := range topics() {
		if t.name == name {
			return t, true
		}
	}
	return topic{}, false
}

// checkAction reports, as a usage error, an action that command group
// (dlq, devices) does not have; want lists those it has.
func checkAction(group, action, want string, stderr io.Writer) error {
	if _, ok := topicFor(group + " " + action); ok {
		return nil
	}
	fmt.Fprintf(stderr, "korelay %s: unknown action %q (want %s)\n", group, action, want)
	printShortUsage(stderr, group)
	return errUsage
}

// helpRequest is what a command returns when its command line asks for
// help (-h): run prints the help of name, with fs's flags when fs is not
// nil, on stdout and exits 0.
type helpRequest struct {
	name string
	fs   *flag.FlagSet
}

func (h *helpRequest) Error() string { return "help requested for " + h.name }

// printHelp prints the help of h's command: usage line, what it does, flags.
func printHelp(w io.Writer, h *helpRequest) {
	t, _ := topicFor(h.name)
	fmt.Fprintf(w, "usage: %s\n\n%s\n", t.usage, t.doc)
	if h.fs == nil || !hasFlags(h.fs) {
		return
	}
	fmt.Fprintln(w, "\nflags:")
	out := h.fs.Output()
	h.fs.SetOutput(w)
	h.fs.PrintDefaults()
	h.fs.SetOutput(out)
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// printShortUsage prints a command's usage line and where to read more,
// after a usage mistake.
func printShortUsage(w io.Writer, name string) {
	if t, ok := topicFor(name); ok {
		fmt.Fprintf(w, "usage: %s\n", t.usage)
	}
	fmt.Fprintf(w, "Run 'korelay help %s' for details.\n", name)
}

// flagSetTopic is the help topic of a flag set made by newFlagSet.
func flagSetTopic(fs *flag.FlagSet) string { return strings.TrimPrefix(fs.Name(), "korelay ") }

// usage prints the overview of every command.
func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: korelay COMMAND [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every command accepts -config FILE (default korelay.yaml).")
	fmt.Fprintln(w, "Run 'korelay help COMMAND' (or 'korelay COMMAND -h') for a command's flags.")
}

// Command korelay wires event streams (NATS subjects, webhooks, cron
// schedules) to Kore.ai proactive notifications. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// command is one korelay subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"run", "run triggers, rules and delivery until SIGINT/SIGTERM", cmdRun},
		{"validate", "check the config and every rule file; print each error as file:line:col", cmdValidate},
		{"eval", "show the notifications one event would produce, without sending", cmdEval},
		{"test", "run rule unit-test files", cmdTest},
		{"schedule", "list the next fire times of every cron rule", cmdSchedule},
		{"notify", "send a one-off notification through the configured Kore bot", cmdNotify},
		{"devices", "subscribe, list or unsubscribe SDK push devices", cmdDevices},
		{"dlq", "list or replay dead-lettered events", cmdDLQ},
		{"version", "print the version", cmdVersion},
	}
}

// errUsage marks a mistake in the command line; its message was printed.
var errUsage = errors.New("usage")

// errFailed means the command printed its own report and must exit 1.
var errFailed = errors.New("failed")

// run executes one korelay command line and returns the exit code: 0 on
// success, 1 on an error, 2 on a usage mistake.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
			return 2
		case errors.Is(err, errFailed):
			return 1
		default:
			printError(stderr, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "korelay: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

// printError prints an error one line per joined error, prefixed with
// "korelay: " when the line does not already start with a position.
func printError(w io.Writer, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			fmt.Fprintln(w, "korelay: "+line)
		}
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: korelay COMMAND [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Every command accepts -config FILE (default korelay.yaml). Run 'korelay COMMAND -h' for its flags.")
}

// newFlagSet returns a flag set that prints its usage to stderr and
// reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("korelay "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args, turning a flag mistake into errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// usageError prints msg with the flag set's usage and returns errUsage.
func usageError(fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(fs.Output(), "%s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fs.Usage()
	return errUsage
}

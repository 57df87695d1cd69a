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
	"strings"
)

func main() {
	ctx, stop := notifyContext(context.Background())
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
		{"dlq", "list, show, replay or drop dead-lettered events", cmdDLQ},
		{"explain", "tell the story of one event: rules, notifications, Kore calls, dead letters", cmdExplain},
		{"probe", "GET a URL and exit 0 on a 2xx answer (a container health check)", cmdProbe},
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
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout)
		return 0
	case "help":
		return runHelp(ctx, args[1:], stdout, stderr)
	case "-version", "--version":
		args = []string{"version"}
	}
	c, ok := findCommand(args[0])
	if !ok {
		fmt.Fprintf(stderr, "korelay: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	return exitCode(c.run(ctx, args[1:], stdout, stderr), stdout, stderr)
}

// runHelp prints the help of `korelay help [COMMAND [ACTION]]` on stdout.
func runHelp(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stdout)
		return 0
	}
	if _, ok := topicFor(strings.Join(args, " ")); !ok {
		fmt.Fprintf(stderr, "korelay help: no command %q\n", strings.Join(args, " "))
		usage(stderr)
		return 2
	}
	// The command itself answers -h with its help: one source for its flags.
	c, _ := findCommand(args[0])
	return exitCode(c.run(ctx, append(args[1:], "-h"), stdout, stderr), stdout, stderr)
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// exitCode turns a command's result into the exit code, printing the help
// it asked for or its error.
func exitCode(err error, stdout, stderr io.Writer) int {
	var help *helpRequest
	switch {
	case err == nil:
		return 0
	case errors.As(err, &help):
		printHelp(stdout, help)
		return 0
	case errors.Is(err, errUsage):
		return 2
	case errors.Is(err, errFailed):
		return 1
	default:
		printError(stderr, err)
		return 1
	}
}

// printError prints an error one line per joined error, prefixed with
// "korelay: ".
func printError(w io.Writer, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			fmt.Fprintln(w, "korelay: "+line)
		}
	}
}

// newFlagSet returns a flag set for the command or action name (its help
// topic) that reports errors to stderr instead of exiting; parseFlags
// prints its help or usage.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("korelay "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args. -h becomes a helpRequest (help on stdout, exit
// 0); a flag mistake prints the usage line and becomes errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		return &helpRequest{name: flagSetTopic(fs), fs: fs}
	default:
		printShortUsage(fs.Output(), flagSetTopic(fs))
		return errUsage
	}
}

// usageError prints msg with the command's usage line and returns errUsage.
func usageError(fs *flag.FlagSet, format string, args ...any) error {
	fmt.Fprintf(fs.Output(), "%s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	printShortUsage(fs.Output(), flagSetTopic(fs))
	return errUsage
}

// plural returns "1 identity" or "2 identities".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

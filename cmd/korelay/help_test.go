package main

import (
	"strings"
	"testing"
)

// `korelay help CMD` and `korelay CMD -h` print the command's usage line,
// what it does and its flags on stdout, and exit 0.
func TestHelpOnStdout(t *testing.T) {
	tests := []struct {
		cmd      []string
		flags    []string // flags the help lists
		notFlags []string // flags of other commands or actions it must not list
	}{
		{[]string{"run"}, []string{"-config", "-dry-run", "-log-format"}, nil},
		{[]string{"validate"}, []string{"-config"}, []string{"-dry-run"}},
		{[]string{"eval"}, []string{"-on", "-event", "-json"}, nil},
		{[]string{"test"}, []string{"-v"}, nil},
		{[]string{"schedule"}, []string{"-n", "-from"}, nil},
		{[]string{"notify"}, []string{"-channel", "-to", "-text", "-script"}, nil},
		{[]string{"version"}, nil, nil},
		{[]string{"devices"}, []string{"subscribe", "list", "unsubscribe"}, nil},
		{[]string{"devices", "subscribe"}, []string{"-user", "-device", "-os", "-dry-run"}, []string{"-all"}},
		{[]string{"devices", "list"}, []string{"-user", "-dry-run"}, []string{"-device", "-os", "-all"}},
		{[]string{"devices", "unsubscribe"}, []string{"-user", "-device", "-os", "-all", "-dry-run"}, nil},
		{[]string{"dlq"}, []string{"list", "show", "replay", "drop"}, nil},
		{[]string{"dlq", "list"}, []string{"-rule", "-id", "-json"}, []string{"-all"}},
		{[]string{"dlq", "show"}, []string{"-rule", "-id", "-json"}, []string{"-all"}},
		{[]string{"dlq", "replay"}, []string{"-rule", "-id"}, []string{"-json", "-all"}},
		{[]string{"dlq", "drop"}, []string{"-rule", "-id", "-all"}, []string{"-json"}},
		{[]string{"explain"}, []string{"-json", "-config"}, []string{"-id"}},
	}
	for _, tt := range tests {
		name := strings.Join(tt.cmd, " ")
		for _, args := range [][]string{append([]string{"help"}, tt.cmd...), append(append([]string{}, tt.cmd...), "-h")} {
			code, stdout, stderr := korelay(t, args...)
			if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "usage: korelay "+name) {
				t.Errorf("%v: exit %d\nstdout %q\nstderr %q\nwant exit 0 and the help of %s on stdout", args, code, stdout, stderr, name)
				continue
			}
			for _, f := range tt.flags {
				if !strings.Contains(stdout, "  "+f) {
					t.Errorf("%v: help lacks %s:\n%s", args, f, stdout)
				}
			}
			for _, f := range tt.notFlags {
				if strings.Contains(stdout, "  "+f+" ") {
					t.Errorf("%v: help lists %s, which is not its flag:\n%s", args, f, stdout)
				}
			}
		}
	}
}

func TestHelpOverviewAndUnknown(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		if code, stdout, _ := korelay(t, args...); code != 0 || !strings.Contains(stdout, "usage: korelay COMMAND") {
			t.Errorf("%v: exit %d, stdout %q", args, code, stdout)
		}
	}
	if code, _, stderr := korelay(t, "help", "frobnicate"); code != 2 || !strings.Contains(stderr, `no command "frobnicate"`) {
		t.Errorf("help frobnicate: exit %d, stderr %q", code, stderr)
	}
}

func TestVersionFlags(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		if code, stdout, _ := korelay(t, args...); code != 0 || !strings.HasPrefix(stdout, "korelay ") {
			t.Errorf("%v: exit %d, stdout %q", args, code, stdout)
		}
	}
}

// A flag mistake names the usage and where to read more, on stderr.
func TestFlagMistakeShowsUsage(t *testing.T) {
	code, stdout, stderr := korelay(t, "eval", "-bogus")
	if code != 2 || stdout != "" || !strings.Contains(stderr, "usage: korelay eval") || !strings.Contains(stderr, "korelay help eval") {
		t.Errorf("exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
}

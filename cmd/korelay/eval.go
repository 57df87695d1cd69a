package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/korelay/korelay/rules"
	"github.com/korelay/korelay/rules/ruletest"
	"github.com/korelay/korelay/service"
)

func cmdEval(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("eval", stderr)
	file := configFlag(fs)
	on := fs.String("on", "", "the trigger: nats:SUBJECT, webhook:NAME or cron:RULE")
	eventFile := fs.String("event", "", "`file` holding the event payload (JSON or YAML; - for stdin); optional for cron")
	asJSON := fs.Bool("json", false, "print notifications as JSON lines")
	atFlag := fs.String("at", "", "evaluate as of `TIME` (RFC 3339), showing what quiet hours and digests would hold and until when; default now")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	at := time.Now()
	if *atFlag != "" {
		t, err := time.Parse(time.RFC3339, *atFlag)
		if err != nil {
			return usageError(fs, "-at %q: want an RFC 3339 time such as 2027-03-06T23:30:00+01:00", *atFlag)
		}
		at = t
	}
	if *on == "" {
		return usageError(fs, "-on is required")
	}
	if *eventFile == "" && !strings.HasPrefix(*on, "cron:") {
		return usageError(fs, "-event is required")
	}
	cfg, err := loadConfig(*file, stderr)
	if err != nil {
		return err
	}
	if err := checkWebhookTrigger(cfg, *on); err != nil {
		return err
	}
	set, err := service.Check(cfg, func() time.Time { return at })
	if err != nil {
		return err
	}
	var payload any
	if *eventFile != "" {
		if payload, err = readEventFile(*eventFile); err != nil {
			return err
		}
	}
	ev, err := ruletest.BuildEvent(set, *on, payload, at)
	if err != nil {
		return err
	}
	res := set.Evaluate(&ev)
	if err := printResult(stdout, res, *asJSON); err != nil {
		return err
	}
	if len(res.Failures) > 0 {
		// The failures are printed with the notifications; exit 1 so eval
		// can gate CI.
		return errFailed
	}
	return nil
}

// maxEventFile bounds an event file (or stdin) given to eval.
const maxEventFile = 16 << 20

// readEventFile reads an event payload from JSON (numbers kept exact) or
// YAML.
func readEventFile(name string) (any, error) {
	var data []byte
	var err error
	if name == "-" {
		if data, err = io.ReadAll(io.LimitReader(os.Stdin, maxEventFile+1)); err == nil && len(data) > maxEventFile {
			err = fmt.Errorf("stdin is larger than %d bytes", maxEventFile)
		}
	} else {
		data, err = rules.ReadFile(name, maxEventFile)
	}
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	if v, jerr := rules.DecodeJSON(data); jerr == nil {
		return v, nil
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("%s: neither JSON nor YAML: %w", name, err)
	}
	return v, nil
}

func printResult(w io.Writer, res rules.Result, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, n := range res.Notifications {
			line := struct {
				rules.Notification
				DedupFor string `json:"dedup_for,omitempty"`
			}{Notification: n}
			if n.DedupFor > 0 {
				line.DedupFor = n.DedupFor.String()
			}
			if err := enc.Encode(line); err != nil {
				return fmt.Errorf("print: %w", err)
			}
		}
		for _, f := range res.Failures {
			if err := enc.Encode(map[string]string{"rule": f.Rule, "error": f.Err.Error()}); err != nil {
				return fmt.Errorf("print: %w", err)
			}
		}
		return nil
	}
	if len(res.Notifications) == 0 && len(res.Failures) == 0 {
		fmt.Fprintln(w, "no notifications")
	}
	for _, n := range res.Notifications {
		printNotification(w, n)
	}
	for _, f := range res.Failures {
		fmt.Fprintf(w, "rule %s: error: %v\n", f.Rule, f.Err)
	}
	return nil
}

// printNotification prints one notification or device action, with when it
// would be sent if it is held.
func printNotification(w io.Writer, n rules.Notification) {
	if a := n.Devices; a != nil {
		what := "device " + a.Device
		if a.Device == rules.AllDevices {
			what = "all devices"
		}
		fmt.Fprintf(w, "rule %s (%s): devices %s %s of user %s", n.Rule, n.Mode, a.Action, what, a.User)
		if a.OS != "" {
			fmt.Fprintf(w, " (%s)", a.OS)
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "rule %s (%s): %s to %s: %s\n", n.Rule, n.Mode, n.Channel,
			plural(len(n.Identities), "identity", "identities"), strings.Join(n.Identities, ", "))
		fmt.Fprintf(w, "  %s: %s\n", n.MessageType, n.Message)
	}
	if n.DedupKey != "" {
		fmt.Fprintf(w, "  dedup: %s for %s\n", n.DedupKey, n.DedupFor)
	}
	if h := n.Hold; h != nil {
		switch h.Reason {
		case rules.HoldDigest:
			fmt.Fprintf(w, "  collected for the digest sent at %s (%s)\n", h.Until.Format(time.RFC3339), h.Zone)
		default:
			fmt.Fprintf(w, "  held by quiet hours until %s (%s)\n", h.Until.Format(time.RFC3339), h.Zone)
		}
	}
}

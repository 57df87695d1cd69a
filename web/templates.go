package web

import (
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/korelay/korelay/journal"
)

// parseTemplates parses each page with the layout, once.
func parseTemplates() (map[string]*template.Template, error) {
	pages, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := make(map[string]*template.Template)
	for _, page := range pages {
		name := path.Base(page)
		if name == "layout.html" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", page)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// funcs are the helpers templates use; each returns text that
// html/template escapes.
var funcs = template.FuncMap{
	"stamp":   stamp,
	"ago":     ago,
	"plural":  plural,
	"ms":      func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"short":   short,
	"outcome": outcomeClass,
	"result":  resultText,
	"answer":  callText,
	"status":  statusText,
	"list":    idList,
	"add":     func(a, b int) int { return a + b },
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2006-01-02 15:04:05.000")
}

// ago says how long before now t was, roughly.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case t.IsZero():
		return ""
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// short cuts a long text (an error) to n runes.
func short(n int, s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// outcomeClass is the CSS class of an event outcome.
func outcomeClass(outcome string) string {
	switch outcome {
	case journal.OutcomeSent, journal.OutcomeDryRun:
		return "ok"
	case journal.OutcomeDeadLettered, journal.OutcomeFailed, journal.OutcomeInterrupted:
		return "bad"
	case journal.OutcomePending, journal.OutcomeHeld:
		return "wait"
	}
	return "quiet"
}

func resultText(r journal.RuleResult) string {
	switch r.Result {
	case journal.ResultWhenFalse:
		return "when false"
	case journal.ResultRenderError:
		return "render error"
	case journal.ResultDecodeError:
		return "decode error"
	}
	if r.Notifications == 0 {
		return r.Result + ", no identities selected"
	}
	return r.Result + ", " + plural(r.Notifications, "notification", "notifications")
}

func statusText(o journal.Outcome) string {
	switch o.Status {
	case journal.StatusDuplicate:
		return "ledger hit: already sent"
	case journal.StatusDeadLettered:
		return "dead-lettered (" + o.Reason + ")"
	}
	return strings.ReplaceAll(o.Status, "_", " ")
}

func callText(c journal.Call) string {
	s := ""
	if c.Code != 0 {
		s = fmt.Sprint(c.Code, " ")
	}
	switch c.Result {
	case journal.CallAccepted:
		s += "accepted"
	case journal.CallRetry:
		s += "will retry"
	case journal.CallExhausted:
		s += "retries used up"
	case journal.CallPermanent:
		s += "refused for good"
	}
	if c.RetryAfter > 0 {
		s += fmt.Sprintf(" (Retry-After %s)", c.RetryAfter)
	}
	return s
}

// idList lists identities: the sample, and how many more.
func idList(n int, sample []string) string {
	if len(sample) == 0 {
		return plural(n, "identity", "identities")
	}
	s := strings.Join(sample, ", ")
	if n > len(sample) {
		s += fmt.Sprintf(" and %d more", n-len(sample))
	}
	return s
}

package ruletest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/korelay/korelay/rules"
)

// Result is the outcome of one case.
type Result struct {
	Case Case
	// Problems are empty when the case passed.
	Problems []string
}

// Passed reports whether the case passed.
func (r Result) Passed() bool { return len(r.Problems) == 0 }

// Clock is the time source a rule set was loaded with, set per case.
type Clock struct{ now time.Time }

// Now returns the case's time; pass it as rules.Env.Now.
func (c *Clock) Now() time.Time { return c.now }

// Set fixes the time returned by Now.
func (c *Clock) Set(t time.Time) { c.now = t }

// Run evaluates every case against the set. clock must be the one the set
// was loaded with (rules.Env.Now = clock.Now); cases run one at a time.
// start is the time used by cases that do not give now.
func Run(set *rules.Set, clock *Clock, cases []Case, start time.Time) []Result {
	results := make([]Result, 0, len(cases))
	for _, c := range cases {
		results = append(results, runCase(set, clock, c, start))
	}
	return results
}

func runCase(set *rules.Set, clock *Clock, c Case, start time.Time) Result {
	now := start
	if !c.Now.IsZero() {
		now = c.Now
	}
	clock.Set(now)
	ev, err := BuildEvent(set, c.On, c.Event, now)
	if err != nil {
		return Result{Case: c, Problems: []string{err.Error()}}
	}
	if c.Headers != nil {
		ev.Headers = c.Headers
	}
	return Result{Case: c, Problems: compare(c.Expect, set.Evaluate(&ev))}
}

// compare matches expectations to what the rules produced, in any order,
// and describes every difference.
func compare(expect []Expectation, res rules.Result) []string {
	var problems []string
	got := slices.Clone(res.Notifications)
	failures := slices.Clone(res.Failures)
	for _, e := range expect {
		if e.Error != "" {
			i := slices.IndexFunc(failures, func(f rules.Failure) bool {
				return f.Rule == e.Rule && strings.Contains(f.Err.Error(), e.Error)
			})
			if i < 0 {
				problems = append(problems, fmt.Sprintf("expected rule %s to fail with %q; it did not", e.Rule, e.Error))
				continue
			}
			failures = slices.Delete(failures, i, i+1)
			continue
		}
		i := slices.IndexFunc(got, func(n rules.Notification) bool { return len(differences(e, n)) == 0 })
		if i >= 0 {
			got = slices.Delete(got, i, i+1)
			continue
		}
		problems = append(problems, describeMiss(e, got))
	}
	for _, n := range got {
		problems = append(problems, "unexpected notification:\n      "+describe(n))
	}
	for _, f := range failures {
		problems = append(problems, fmt.Sprintf("rule %s failed: %v", f.Rule, f.Err))
	}
	return problems
}

// describeMiss explains a missing notification, against the closest actual
// one from the same rule when there is one.
func describeMiss(e Expectation, got []rules.Notification) string {
	for _, n := range got {
		if n.Rule == e.Rule {
			return fmt.Sprintf("rule %s: notification differs:\n      %s", e.Rule, strings.Join(differences(e, n), "\n      "))
		}
	}
	return fmt.Sprintf("rule %s: expected a notification, got none from this rule", e.Rule)
}

func differences(e Expectation, n rules.Notification) []string {
	var d []string
	diff := func(field, want, got string) {
		if want != got {
			d = append(d, fmt.Sprintf("%s: expected %q, got %q", field, want, got))
		}
	}
	diff("rule", e.Rule, n.Rule)
	if e.Channel != "" {
		diff("channel", e.Channel, n.Channel)
	}
	if e.Mode != "" {
		diff("mode", e.Mode, string(n.Mode))
	}
	if e.To != nil && !sameSet(e.To, n.Identities) {
		d = append(d, fmt.Sprintf("to: expected %v, got %v", e.To, n.Identities))
	}
	if e.Text != nil {
		diff("text", *e.Text, messageOf(n, "text"))
	}
	if e.Script != nil {
		diff("script", *e.Script, messageOf(n, "script"))
	}
	if e.Dedup != nil {
		diff("dedup", *e.Dedup, n.DedupKey)
	}
	if e.At != nil {
		d = append(d, atDifference(*e.At, n.Hold)...)
	}
	if e.Devices != nil {
		d = append(d, devicesDifferences(*e.Devices, n.Devices)...)
	}
	return d
}

// atDifference compares an expected release time with a notification's hold.
func atDifference(want time.Time, h *rules.Hold) []string {
	switch {
	case h == nil:
		return []string{fmt.Sprintf("at: expected it held until %s, got it sent at once", want.Format(time.RFC3339))}
	case !h.Until.Equal(want):
		return []string{fmt.Sprintf("at: expected %s, got %s (%s in %s)", want.Format(time.RFC3339), h.Until.Format(time.RFC3339), h.Reason, h.Zone)}
	}
	return nil
}

// devicesDifferences compares an expected device action with a
// notification's; fields not expected match anything.
func devicesDifferences(want DevicesExpectation, got *rules.DeviceAction) []string {
	if got == nil {
		return []string{"devices: expected a device action, got a notification"}
	}
	var d []string
	for _, f := range []struct{ name, want, got string }{
		{"devices.action", want.Action, got.Action}, {"devices.user", want.User, got.User},
		{"devices.device", want.Device, got.Device}, {"devices.os", want.OS, got.OS},
	} {
		if f.want != "" && f.want != f.got {
			d = append(d, fmt.Sprintf("%s: expected %q, got %q", f.name, f.want, f.got))
		}
	}
	return d
}

func messageOf(n rules.Notification, typ string) string {
	if n.MessageType != typ {
		return fmt.Sprintf("(a %s message) %s", n.MessageType, n.Message)
	}
	return n.Message
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func describe(n rules.Notification) string {
	s := fmt.Sprintf("{rule: %s, channel: %s, to: %v, %s: %q", n.Rule, n.Channel, n.Identities, n.MessageType, n.Message)
	if a := n.Devices; a != nil {
		s = fmt.Sprintf("{rule: %s, devices: {action: %s, user: %s, device: %s, os: %q}", n.Rule, a.Action, a.User, a.Device, a.OS)
	}
	if n.Hold != nil {
		s += fmt.Sprintf(", at: %s", n.Hold.Until.Format(time.RFC3339))
	}
	return s + "}"
}

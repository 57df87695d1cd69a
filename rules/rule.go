package rules

import (
	"sync"
	"time"

	"github.com/korelay/korelay/rules/schedule"
)

// Trigger is what a rule listens to: exactly one of NATS, Webhook and Cron
// is set.
type Trigger struct {
	// NATS is a subject pattern; tokens may be "*" and the last may be ">".
	NATS string
	// Webhook is the name of a configured webhook.
	Webhook string
	// Cron is the cron spec as written.
	Cron string
	// Timezone is the cron rule's time zone (UTC unless set); nil for
	// other triggers.
	Timezone *time.Location
	// CatchUp is how old a missed cron fire may be and still run after
	// downtime; 0 means missed fires are skipped.
	CatchUp time.Duration
}

// Rule is one compiled rule. The exported fields describe it; they must not
// be modified.
type Rule struct {
	// Name is unique within a Set, [a-z0-9-]+.
	Name        string
	Description string
	// File, Line and Column locate the rule's mapping in its file.
	File   string
	Line   int
	Column int
	Mode   Mode
	On     Trigger
	// Schedule is the compiled cron spec; nil unless On.Cron is set.
	Schedule *schedule.Schedule
	// When, ForEach and To are the expressions as written ("" when absent).
	When    string
	ForEach string
	To      string
	// Groups are the config groups notified, as written.
	Groups      []string
	Channel     string
	MessageType string
	// Message is the text or script template as written.
	Message string
	// DedupKey is the dedup key template as written ("" without dedup).
	DedupKey string
	DedupFor time.Duration
	// Action is ActionNotify (the notify key) or ActionDevices (devices).
	Action Action
	// Devices is a devices rule's action as written; nil for notify rules.
	Devices *DevicesSpec
	// Quiet is the rule's quiet hours; nil without.
	Quiet *QuietHours
	// Digest is the rule's digest; nil without.
	Digest *Digest

	index    int      // position in Set.rules
	when     *program // nil: always
	forEach  *program // nil: no fan-out
	to       *program // nil: groups only
	groupIDs []string // identities of Groups, deduplicated
	message  *tmpl    // nil for devices rules
	dedupKey *tmpl    // nil without dedup
	devices  *devicePrograms
	quiet    *quietRule
	digest   *digestRule
	// need is what the rule reads of the event; firstNeed what its when
	// condition reads (need for a rule without when, or with for_each).
	need, firstNeed *need
	// eventField is a field of event the rule reads ("event.status"), or
	// "" when it reads none: such a rule fails with ReasonDecode on a
	// payload that is not an object.
	eventField string
}

// Set is a loaded, compiled and indexed set of rules. It is immutable and
// safe for concurrent use.
type Set struct {
	rules  []*Rule
	byName map[string]*Rule
	files  []string
	data   map[string]any
	now    func() time.Time
	index  index
	states sync.Pool // *evalState
	zones  zoneCache // zones named by timezone_from
	needs  needCache // what the rules of each trigger read
	// noHeaders stands in for an event without headers; never modified.
	noHeaders map[string]string
}

// Rules returns the rules sorted by name.
func (s *Set) Rules() []*Rule {
	return append([]*Rule(nil), s.rules...)
}

// Rule returns the rule with the given name.
func (s *Set) Rule(name string) (*Rule, bool) {
	r, ok := s.byName[name]
	return r, ok
}

// CronRules returns the cron-triggered rules sorted by name.
func (s *Set) CronRules() []*Rule {
	var out []*Rule
	for _, r := range s.rules {
		if r.Schedule != nil {
			out = append(out, r)
		}
	}
	return out
}

// Defers reports whether a rule holds notifications back: quiet hours or
// a digest. Such rules need somewhere to keep them.
func (s *Set) Defers() bool {
	for _, r := range s.rules {
		if r.quiet != nil || r.digest != nil {
			return true
		}
	}
	return false
}

// NATSSubjects returns the distinct subject patterns of the NATS-triggered
// rules, sorted, leaving out any pattern covered by another one (such as
// "orders.eu" when "orders.*" is also used) and widening two patterns that
// overlap without one covering the other into one that covers both
// ("orders.*.created" and "orders.eu.*" become "orders.*.*"), so that
// subscribing to all of them, or capturing them in one stream (JetStream
// refuses overlapping subjects), never delivers a message twice. A widened
// pattern may capture subjects no rule is bound to; Evaluate matches such
// events to no rule.
func (s *Set) NATSSubjects() []string {
	return s.index.subjectsList()
}

// Files returns the rule files and then the dataset files the set was
// loaded from, for reload watching.
func (s *Set) Files() []string {
	return append([]string(nil), s.files...)
}

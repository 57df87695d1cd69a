package rules

import (
	"slices"

	"github.com/korelay/korelay/internal/subject"
)

// index finds the rules bound to an event's trigger: literal NATS subjects
// and webhooks by map, wildcard subjects by a token tree, cron rules by
// name.
type index struct {
	subjects map[string][]*Rule  // literal NATS subject → rules
	wildcard *subjectTree[*Rule] // nil without wildcard patterns
	webhooks map[string][]*Rule
	cron     map[string][]*Rule // rule name → that rule
	patterns []string           // minimal distinct NATS patterns, sorted
}

// newIndex indexes rules, which are sorted by name and numbered.
func newIndex(rules []*Rule) index {
	ix := index{
		subjects: make(map[string][]*Rule),
		webhooks: make(map[string][]*Rule),
		cron:     make(map[string][]*Rule),
	}
	var patterns []string
	for _, r := range rules {
		switch {
		case r.On.NATS != "":
			patterns = append(patterns, r.On.NATS)
			if subject.Literal(r.On.NATS) {
				ix.subjects[r.On.NATS] = append(ix.subjects[r.On.NATS], r)
				continue
			}
			if ix.wildcard == nil {
				ix.wildcard = &subjectTree[*Rule]{}
			}
			ix.wildcard.insert(r.On.NATS, r)
		case r.On.Webhook != "":
			ix.webhooks[r.On.Webhook] = append(ix.webhooks[r.On.Webhook], r)
		case r.On.Cron != "":
			ix.cron[r.Name] = []*Rule{r}
		}
	}
	ix.patterns = minimalPatterns(patterns)
	return ix
}

// minimalPatterns returns the distinct patterns not covered by another,
// sorted, after replacing any two that JetStream would refuse side by side
// (subject.Overlap: orders.*.created and orders.eu.*) by one pattern that
// covers both (orders.*.*).
func minimalPatterns(ps []string) []string {
	for {
		ps = uncovered(ps)
		i, j, ok := overlapping(ps)
		if !ok {
			return ps
		}
		ps[i] = subject.Join(ps[i], ps[j])
		ps = slices.Delete(ps, j, j+1)
	}
}

// uncovered returns the distinct patterns of ps not covered by another,
// sorted.
func uncovered(ps []string) []string {
	slices.Sort(ps)
	ps = slices.Compact(ps)
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		if !slices.ContainsFunc(ps, func(q string) bool { return q != p && subject.Covers(q, p) }) {
			out = append(out, p)
		}
	}
	return out
}

// overlapping returns the first pair of patterns that overlap, i < j.
func overlapping(ps []string) (i, j int, ok bool) {
	for i := range ps {
		for j := i + 1; j < len(ps); j++ {
			if subject.Overlap(ps[i], ps[j]) {
				return i, j, true
			}
		}
	}
	return 0, 0, false
}

func (ix *index) subjectsList() []string { return slices.Clone(ix.patterns) }

// match returns the rules bound to ev in rule order. It may use buf for
// scratch space when rules must be merged, and returns buf (perhaps grown)
// for reuse; the rules returned must not be modified.
func (ix *index) match(ev *Event, buf []*Rule) (rules, scratch []*Rule) {
	switch ev.Source {
	case SourceNATS:
		exact := ix.subjects[ev.Trigger]
		if ix.wildcard == nil {
			return exact, buf
		}
		buf = append(buf[:0], exact...)
		n := len(buf)
		buf = ix.wildcard.match(ev.Trigger, buf)
		if len(buf) == n {
			return exact, buf
		}
		if n > 0 || len(buf)-n > 1 {
			slices.SortFunc(buf, func(a, b *Rule) int { return a.index - b.index })
		}
		return buf, buf
	case SourceWebhook:
		return ix.webhooks[ev.Trigger], buf
	case SourceCron:
		return ix.cron[ev.Trigger], buf
	}
	return nil, buf
}

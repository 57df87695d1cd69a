package rules

import (
	"slices"
	"strings"
	"testing"

	"github.com/korelay/korelay/internal/subject"
)

// checkSubjectTree compares the tree's matches with what NATS delivers
// (subject.Matches, which is checked against nats-server itself), and
// minimalPatterns with subject.Covers.
func checkSubjectTree(t *testing.T, patterns []string, subj string) {
	t.Helper()
	tree := &subjectTree[string]{}
	var valid []string
	for _, p := range patterns {
		if subject.Valid(p) && !slices.Contains(valid, p) {
			valid = append(valid, p)
			tree.insert(p, p)
		}
	}
	got := tree.match(subj, nil)
	if subject.Literal(subj) {
		var want []string
		for _, p := range valid {
			if subject.Matches(p, subj) {
				want = append(want, p)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("patterns %q, subject %q: matched %q, NATS delivers to %q", valid, subj, got, want)
		}
	} // else never published: only robustness matters
	minimal := minimalPatterns(slices.Clone(valid))
	for _, p := range valid {
		if !slices.ContainsFunc(minimal, func(q string) bool { return subject.Covers(q, p) }) {
			t.Errorf("patterns %q: minimal %q does not cover %q", valid, minimal, p)
		}
	}
	for i, p := range minimal {
		for _, q := range minimal[i+1:] {
			if subject.Overlap(p, q) {
				t.Errorf("patterns %q: minimal %q keeps the overlapping %q and %q", valid, minimal, p, q)
			}
		}
	}
}

func TestSubjectTree(t *testing.T) {
	patterns := []string{"a", "a.b", "a.*", "a.>", "*.b", "*.*.c", ">", "a.b.c", "x.*.>", "*", "eu*", "*x", "a.>b"}
	for _, s := range []string{"a", "a.b", "a.c", "a.b.c", "b.b", "x.y", "x.y.z", "q.r.c", "a..b", "a.", "",
		"eu*", "*x", "a.>b", "0*0000"} {
		checkSubjectTree(t, patterns, s)
	}
	checkSubjectTree(t, []string{"a.*.c", "a.b.*"}, "a.b.c")
	checkSubjectTree(t, []string{"a.*", "a.b"}, "a.b")
	checkSubjectTree(t, []string{">", "*.eu.*"}, "0*0000")
}

// A pattern with "*" or ">" inside a longer token is valid: NATS reads the
// token literally.
func TestLoadSubjectWithLiteralStar(t *testing.T) {
	s := mustLoad(t, `
rules:
  - {name: a, on: {nats: "orders.eu*"}, notify: {channel: slack, to: event.email, text: hi}}
  - {name: b, on: {nats: "orders.*"}, notify: {channel: slack, to: event.email, text: hi}}
`)
	for subj, want := range map[string]string{"orders.eu*": "a b", "orders.eu": "b", "orders.eux": "b"} {
		res := s.Evaluate(&Event{Source: SourceNATS, Trigger: subj, Payload: map[string]any{"email": "x"}})
		if got := strings.Join(res.Matched, " "); got != want {
			t.Errorf("%s: matched %q, want %q", subj, got, want)
		}
	}
	if got := strings.Join(s.NATSSubjects(), " "); got != "orders.*" {
		t.Errorf("NATSSubjects = %s", got)
	}
}

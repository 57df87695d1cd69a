package rules

import (
	"slices"
	"strings"
	"testing"
)

// subjectCovers is the reference for coveredBy and subjectTree.match: it
// reports whether pattern a matches every subject (or subject pattern) b
// matches.
func subjectCovers(a, b string) bool {
	at, bt := strings.Split(a, "."), strings.Split(b, ".")
	for i, tok := range at {
		if tok == ">" {
			return len(bt) > i
		}
		if i >= len(bt) || bt[i] == ">" {
			return false
		}
		if tok != "*" && (tok != bt[i] || bt[i] == "*") {
			return false
		}
	}
	return len(at) == len(bt)
}

func TestValidSubjectPattern(t *testing.T) {
	for p, want := range map[string]string{
		"orders":           "",
		"orders.*.created": "",
		"orders.>":         "",
		"*":                "",
		">":                "",
		"":                 "empty subject",
		"orders..created":  `subject "orders..created" has an empty token`,
		".orders":          `subject ".orders" has an empty token`,
		"orders.":          `subject "orders." has an empty token`,
		"orders.>.created": `subject "orders.>.created": ">" must be the last token`,
		"orders.eu*":       `subject "orders.eu*": wildcards "*" and ">" must be whole tokens`,
		"orders eu":        `subject "orders eu" contains whitespace`,
	} {
		err := validSubjectPattern(p)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("validSubjectPattern(%q) = %q, want %q", p, got, want)
		}
	}
}

// checkSubjectTree compares the tree's matches and coverage with
// subjectCovers.
func checkSubjectTree(t *testing.T, patterns []string, subject string) {
	t.Helper()
	tree := &subjectTree[string]{}
	var valid []string
	for _, p := range patterns {
		if validSubjectPattern(p) == nil && !slices.Contains(valid, p) {
			valid = append(valid, p)
			tree.insert(p, p)
		}
	}
	got := tree.match(subject, nil)
	if strings.ContainsAny(subject, " \t\r\n") || !isLiteralSubject(subject) {
		return // never published; only robustness matters
	}
	var want []string
	if validSubjectPattern(subject) == nil {
		for _, p := range valid {
			if subjectCovers(p, subject) {
				want = append(want, p)
			}
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("patterns %q, subject %q: matched %q, want %q", valid, subject, got, want)
	}
	for _, p := range valid {
		wantCovered := slices.ContainsFunc(valid, func(q string) bool { return q != p && subjectCovers(q, p) })
		if gotCovered := coveredBy(tree, p, strings.Split(p, ".")); gotCovered != wantCovered {
			t.Errorf("patterns %q: coveredBy(%q) = %v, want %v", valid, p, gotCovered, wantCovered)
		}
	}
}

func TestSubjectTree(t *testing.T) {
	patterns := []string{"a", "a.b", "a.*", "a.>", "*.b", "*.*.c", ">", "a.b.c", "x.*.>", "*"}
	for _, s := range []string{"a", "a.b", "a.c", "a.b.c", "b.b", "x.y", "x.y.z", "q.r.c", "a..b", "a.", ""} {
		checkSubjectTree(t, patterns, s)
	}
	checkSubjectTree(t, []string{"a.*.c", "a.b.*"}, "a.b.c")
	checkSubjectTree(t, []string{"a.*", "a.b"}, "a.b")
}

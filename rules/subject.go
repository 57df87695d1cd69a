package rules

import (
	"fmt"
	"slices"
	"strings"
)

// validSubjectPattern checks a NATS subject pattern: dot-separated
// non-empty tokens without whitespace, where a token may be "*" (any one
// token) and the last token may be ">" (one or more tokens).
func validSubjectPattern(p string) error {
	if p == "" {
		return fmt.Errorf("empty subject")
	}
	if i := strings.IndexAny(p, " \t\r\n"); i >= 0 {
		return fmt.Errorf("subject %q contains whitespace", p)
	}
	tokens := strings.Split(p, ".")
	for i, t := range tokens {
		switch {
		case t == "":
			return fmt.Errorf("subject %q has an empty token", p)
		case t == ">" && i != len(tokens)-1:
			return fmt.Errorf("subject %q: \">\" must be the last token", p)
		case t != "*" && t != ">" && strings.ContainsAny(t, "*>"):
			return fmt.Errorf("subject %q: wildcards \"*\" and \">\" must be whole tokens", p)
		}
	}
	return nil
}

// isLiteralSubject reports whether p has no wildcard tokens.
func isLiteralSubject(p string) bool {
	for t := range strings.SplitSeq(p, ".") {
		if t == "*" || t == ">" {
			return false
		}
	}
	return true
}

// subjectTree indexes values by wildcard subject pattern, token by token,
// so matching a subject costs its number of tokens, not the number of
// patterns.
type subjectTree[T any] struct {
	children map[string]*subjectTree[T]
	star     *subjectTree[T] // "*"
	rest     []T             // values whose pattern ends here with ">"
	values   []T             // values whose pattern ends here
}

// insert adds v under pattern p.
func (t *subjectTree[T]) insert(p string, v T) {
	n := t
	for tok := range strings.SplitSeq(p, ".") {
		switch tok {
		case ">":
			n.rest = append(n.rest, v)
			return
		case "*":
			if n.star == nil {
				n.star = &subjectTree[T]{}
			}
			n = n.star
		default:
			if n.children == nil {
				n.children = make(map[string]*subjectTree[T])
			}
			c := n.children[tok]
			if c == nil {
				c = &subjectTree[T]{}
				n.children[tok] = c
			}
			n = c
		}
	}
	n.values = append(n.values, v)
}

// match appends the values whose pattern matches subject to out. Each
// value is appended at most once: a pattern has one path through the tree.
// A subject with an empty token matches nothing.
func (t *subjectTree[T]) match(subject string, out []T) []T {
	if subject == "" || subject[0] == '.' || subject[len(subject)-1] == '.' || strings.Contains(subject, "..") {
		return out
	}
	return t.walk(subject, out)
}

func (t *subjectTree[T]) walk(subject string, out []T) []T {
	tok, rest, more := strings.Cut(subject, ".")
	out = append(out, t.rest...)
	if c := t.children[tok]; c != nil {
		out = c.next(rest, more, out)
	}
	if t.star != nil {
		out = t.star.next(rest, more, out)
	}
	return out
}

func (t *subjectTree[T]) next(rest string, more bool, out []T) []T {
	if !more {
		return append(out, t.values...)
	}
	return t.walk(rest, out)
}

// coveredBy reports whether a pattern in the tree other than p itself
// matches every subject pattern p (split into toks) matches.
func coveredBy(t *subjectTree[string], p string, toks []string) bool {
	for i, tok := range toks {
		if slices.ContainsFunc(t.rest, func(q string) bool { return q != p }) {
			return true
		}
		switch tok {
		case ">":
			return false
		case "*":
			if t.star == nil {
				return false
			}
			t = t.star
		default:
			if t.star != nil && coveredBy(t.star, p, toks[i+1:]) {
				return true
			}
			if t = t.children[tok]; t == nil {
				return false
			}
		}
	}
	return slices.ContainsFunc(t.values, func(q string) bool { return q != p })
}

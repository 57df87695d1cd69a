package rules

import (
	"strings"
)

// subjectTree indexes values by wildcard subject pattern, token by token,
// so matching a subject costs its number of tokens, not the number of
// patterns. It delivers what a NATS subscription would (see
// internal/subject): only the whole tokens "*" and ">" are wildcards.
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

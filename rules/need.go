package rules

import (
	"sync"
	"sync/atomic"

	"github.com/expr-lang/expr/ast"
)

// need is the part of an event's payload that rules read: the fields
// reached by static member access from `event` (event.customer.email,
// event["id"], {{ .event.customer.name }}), as a tree of keys. A field read
// any other way — passed to a function, indexed by a computed key,
// compared, iterated, or `event` itself used as a value — is needed whole
// (all), and so is everything below it. The analysis is conservative: a
// field it cannot follow is decoded whole, never left out.
//
// A need is built while rules compile and read-only afterwards.
type need struct {
	all  bool
	keys map[string]*need
}

// add marks path (keys below event) as read; an empty path marks all of it.
func (n *need) add(path []string) {
	for _, k := range path {
		if n.all {
			return
		}
		n = n.child(k)
	}
	n.all, n.keys = true, nil
}

// child returns what n needs of key k, made empty when n needs none yet.
func (n *need) child(k string) *need {
	c := n.keys[k]
	if c == nil {
		if n.keys == nil {
			n.keys = make(map[string]*need)
		}
		c = &need{}
		n.keys[k] = c
	}
	return c
}

// merge adds everything o needs to n.
func (n *need) merge(o *need) {
	switch {
	case o == nil || n.all:
	case o.all:
		n.all, n.keys = true, nil
	default:
		for k, oc := range o.keys {
			n.child(k).merge(oc)
		}
	}
}

// covers reports whether everything o needs is in n.
func (n *need) covers(o *need) bool {
	switch {
	case n == o || o == nil || n.all:
		return true
	case o.all:
		return false
	}
	for k, oc := range o.keys {
		c := n.keys[k]
		if c == nil || !c.covers(oc) {
			return false
		}
	}
	return true
}

// exprNeed returns what an expression reads of event.
func exprNeed(root ast.Node) *need {
	f := &needFinder{paths: make(map[ast.Node][]string), inner: make(map[ast.Node]bool)}
	ast.Walk(&root, f)
	n := &need{}
	for node, path := range f.paths {
		if !f.inner[node] {
			n.add(path)
		}
	}
	for _, id := range f.roots {
		if !f.inner[id] {
			n.add(nil) // event (or the whole environment) used as a value
		}
	}
	return n
}

// needFinder collects the static member chains on event (paths, by their
// outermost member node) and the identifiers that reach the payload
// (roots); inner marks the nodes that are the base of a longer chain.
type needFinder struct {
	paths map[ast.Node][]string
	inner map[ast.Node]bool
	roots []ast.Node
}

// Visit implements ast.Visitor.
func (f *needFinder) Visit(n *ast.Node) {
	switch x := (*n).(type) {
	case *ast.IdentifierNode:
		if x.Value == "event" || x.Value == "$env" {
			f.roots = append(f.roots, x)
		}
	case *ast.MemberNode:
		if path, ok := eventPath(x); ok {
			f.paths[x] = path
			f.inner[x.Node] = true
		}
	}
}

// eventPath returns the keys of a member chain on event whose every key is
// a constant string (event.a.b, event["a"]?.b), or false.
func eventPath(m *ast.MemberNode) ([]string, bool) {
	key, ok := m.Property.(*ast.StringNode)
	if !ok {
		return nil, false
	}
	switch base := m.Node.(type) {
	case *ast.IdentifierNode:
		if base.Value == "event" {
			return []string{key.Value}, true
		}
	case *ast.MemberNode:
		if path, ok := eventPath(base); ok {
			return append(path, key.Value), true
		}
	}
	return nil, false
}

// triggerNeeds is what the rules bound to one trigger read of an event:
// first, what is read before any rule is known to match (when conditions,
// and all of each rule without one); full, everything.
type triggerNeeds struct{ first, full *need }

// maxNeedCache bounds the triggers whose needs a Set remembers.
const maxNeedCache = 4096

// needCache remembers the needs of triggers bound to several rules, so an
// event does not merge its rules' needs each time. Safe for concurrent use.
type needCache struct {
	m sync.Map // source and trigger → *triggerNeeds
	n atomic.Int32
}

// of returns the needs of rules, the rules bound to ev's trigger.
func (c *needCache) of(ev *Event, rules []*Rule) triggerNeeds {
	if len(rules) == 1 {
		return triggerNeeds{rules[0].firstNeed, rules[0].need}
	}
	key := string(ev.Source) + " " + ev.Trigger
	if v, ok := c.m.Load(key); ok {
		return *v.(*triggerNeeds)
	}
	t := &triggerNeeds{first: &need{}, full: &need{}}
	for _, r := range rules {
		t.first.merge(r.firstNeed)
		t.full.merge(r.need)
	}
	if c.n.Load() < maxNeedCache {
		if _, loaded := c.m.LoadOrStore(key, t); !loaded {
			c.n.Add(1)
		}
	}
	return *t
}

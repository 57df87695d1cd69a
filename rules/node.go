package rules

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// fileCtx decodes the nodes of one file and records problems with their
// positions.
type fileCtx struct {
	name  string
	src   []byte
	lines []string // source lines, for mapping positions inside block scalars
	errs  *errorList
}

func newFileCtx(name string, src []byte, errs *errorList) *fileCtx {
	return &fileCtx{name: name, src: src, lines: strings.Split(string(src), "\n"), errs: errs}
}

// at is the position of n.
func (f *fileCtx) at(n *yaml.Node) pos {
	return pos{file: f.name, line: max(n.Line, 1), col: max(n.Column, 1)}
}

func (f *fileCtx) errorf(n *yaml.Node, format string, args ...any) {
	f.errs.add(f.at(n), format, args...)
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// describe names the kind of a node for messages ("a list", "a string").
func describe(n *yaml.Node) string {
	n = resolve(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!bool":
			return "a boolean"
		case "!!int", "!!float":
			return "a number"
		case "!!timestamp":
			return "a timestamp"
		}
		return "a string"
	}
	return "a document"
}

// field is one key/value pair of a mapping.
type field struct {
	key, val *yaml.Node
}

// mapping returns the fields of a mapping node by key, reporting a node of
// another kind, duplicate keys and keys not in known. what names the
// mapping in messages ("rule", "notify").
func (f *fileCtx) mapping(n *yaml.Node, what string, known ...string) (map[string]field, bool) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		f.errorf(n, "%s: expected a mapping, found %s", what, describe(n))
		return nil, false
	}
	fields := make(map[string]field, len(n.Content)/2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			f.errorf(k, "%s: keys must be strings, found %s", what, describe(k))
			continue
		}
		if prev, dup := fields[k.Value]; dup {
			f.errorf(k, "%s: duplicate key %q (first at line %d)", what, k.Value, prev.key.Line)
			continue
		}
		if !contains(known, k.Value) {
			f.errorf(k, "%s: unknown key %q%s", what, k.Value, suggest(k.Value, known))
			continue
		}
		fields[k.Value] = field{key: k, val: v}
	}
	for _, m := range merges {
		f.merge(fields, m, what, known)
	}
	return fields, true
}

// merge adds the fields of a YAML merge (<<: *anchor, or a list of
// anchors) that the mapping does not set itself.
func (f *fileCtx) merge(fields map[string]field, m *yaml.Node, what string, known []string) {
	sources := []*yaml.Node{m}
	if r := resolve(m); r.Kind == yaml.SequenceNode {
		sources = r.Content
	}
	for _, src := range sources {
		merged, ok := f.mapping(src, what, known...)
		if !ok {
			continue
		}
		for k, fd := range merged {
			if _, set := fields[k]; !set {
				fields[k] = fd
			}
		}
	}
}

// scalar returns the value of a scalar field, reporting other kinds and
// empty (null) values.
func (f *fileCtx) scalar(fd field, what string) (string, bool) {
	v := resolve(fd.val)
	if v.Kind != yaml.ScalarNode {
		f.errorf(v, "%s: expected a string, found %s", what, describe(v))
		return "", false
	}
	if v.ShortTag() == "!!null" || strings.TrimSpace(v.Value) == "" {
		f.errorf(v, "%s: empty value", what)
		return "", false
	}
	return v.Value, true
}

// stringList returns a list of scalars.
func (f *fileCtx) stringList(fd field, what string) ([]string, []*yaml.Node, bool) {
	v := resolve(fd.val)
	if v.Kind != yaml.SequenceNode {
		f.errorf(v, "%s: expected a list of strings, found %s", what, describe(v))
		return nil, nil, false
	}
	out := make([]string, 0, len(v.Content))
	nodes := make([]*yaml.Node, 0, len(v.Content))
	ok := true
	for i, e := range v.Content {
		s, good := f.scalar(field{key: fd.key, val: e}, fmt.Sprintf("%s[%d]", what, i))
		if !good {
			ok = false
			continue
		}
		out = append(out, s)
		nodes = append(nodes, resolve(e))
	}
	return out, nodes, ok
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// suggest returns ` (did you mean "x"?)` for the known word closest to s,
// or "" when none is within two edits.
func suggest(s string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(s), k); d < bestDist && d < len(k) {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

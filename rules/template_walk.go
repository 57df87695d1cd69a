package rules

import (
	"fmt"
	"strings"
	"text/template/parse"
)

// templateWalker checks a parsed template's names and rewrites it: every
// action's output is piped into the escaping function, and `now` is passed
// to daysUntil and daysSince.
type templateWalker struct {
	c     *compiler
	tp    *tmpl
	tree  *parse.Tree
	scope templateScope
	ok    bool
}

func (w *templateWalker) fail(n parse.Node, format string, args ...any) {
	w.ok = false
	w.c.errs.add(w.tp.at.atOffset(w.tp.src, nodeStart(w.tp.src, n)), "%s: %s", w.tp.what, fmt.Sprintf(format, args...))
}

// nodeStart returns the offset where node n starts in src: text/template
// places a field chain such as .a.b at one of its later elements.
func nodeStart(src string, n parse.Node) int {
	p := int(n.Position())
	switch n.(type) {
	case *parse.FieldNode, *parse.VariableNode, *parse.ChainNode:
		return startOf(src, p, n.String())
	}
	return p
}

// startOf returns where text s, which covers offset p, starts in src; p if
// it is not found.
func startOf(src string, p int, s string) int {
	end := min(len(src), p+len(s))
	if p < 0 || p > end {
		return p
	}
	if i := strings.LastIndex(src[:end], s); i >= 0 && i <= p {
		return i
	}
	return p
}

// list walks a list; rootDot says whether dot is still the template data
// (it is not inside range and with).
func (w *templateWalker) list(l *parse.ListNode, rootDot bool) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			w.pipe(n.Pipe, rootDot)
			if len(n.Pipe.Decl) == 0 {
				n.Pipe.Cmds = append(n.Pipe.Cmds, w.command(n.Pos, w.tp.escaperOf(n).name()))
			}
		case *parse.IfNode:
			w.branch(&n.BranchNode, rootDot, rootDot)
		case *parse.RangeNode:
			w.branch(&n.BranchNode, false, rootDot)
			n.Pipe.Cmds = append(n.Pipe.Cmds, w.rangeGuard(n.Pos))
		case *parse.WithNode:
			w.branch(&n.BranchNode, false, rootDot)
		case *parse.TemplateNode:
			w.fail(n, "{{template}} is not supported in rule templates")
		}
	}
}

func (w *templateWalker) branch(b *parse.BranchNode, bodyRoot, elseRoot bool) {
	w.pipe(b.Pipe, elseRoot)
	w.list(b.List, bodyRoot)
	w.list(b.ElseList, elseRoot)
}

// command returns a command calling fn, to be appended to a pipeline.
func (w *templateWalker) command(p parse.Pos, fn string) *parse.CommandNode {
	id := parse.NewIdentifier(fn).SetTree(w.tree).SetPos(p)
	return &parse.CommandNode{NodeType: parse.NodeCommand, Pos: p, Args: []parse.Node{id}}
}

// rangeGuard returns the command every range pipeline is piped into:
// {{ range X | _range $._budget }}, which charges X's length to the render's
// iteration budget.
func (w *templateWalker) rangeGuard(p parse.Pos) *parse.CommandNode {
	cmd := w.command(p, rangeFunc)
	budget := &parse.VariableNode{NodeType: parse.NodeVariable, Pos: p, Ident: []string{"$", budgetKey}}
	cmd.Args = append(cmd.Args, budget)
	return cmd
}

// pipe checks the references in a pipeline and inserts `$.now` as the
// first argument of daysUntil and daysSince.
func (w *templateWalker) pipe(p *parse.PipeNode, rootDot bool) {
	if p == nil {
		return
	}
	for _, cmd := range p.Cmds {
		if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok && (id.Ident == "daysUntil" || id.Ident == "daysSince") {
			now := &parse.VariableNode{NodeType: parse.NodeVariable, Pos: id.Pos, Ident: []string{"$", "now"}}
			cmd.Args = append([]parse.Node{id, now}, cmd.Args[1:]...)
		}
		w.indexOfEvent(cmd, rootDot)
		for _, arg := range cmd.Args {
			w.arg(arg, rootDot)
		}
	}
	w.lenientDefault(p)
}

func (w *templateWalker) arg(n parse.Node, rootDot bool) {
	switch n := n.(type) {
	case *parse.FieldNode:
		if rootDot {
			w.ref(n, n.Ident)
		}
	case *parse.VariableNode:
		switch {
		case n.Ident[0] == "$" && len(n.Ident) > 1:
			w.ref(n, n.Ident[1:])
		case n.Ident[0] == "$":
			w.tp.need.add(nil) // the whole data, event with it
		}
	case *parse.DotNode:
		if rootDot {
			w.tp.need.add(nil)
		}
	case *parse.PipeNode:
		w.pipe(n, rootDot)
	case *parse.ChainNode:
		w.arg(n.Node, rootDot)
	}
}

// indexOfEvent records {{ index .event "key" }} and {{ get .event "key" }}
// as a read of event.key.
func (w *templateWalker) indexOfEvent(cmd *parse.CommandNode, rootDot bool) {
	if len(cmd.Args) < 3 || !isCall(cmd, "index") && !isCall(cmd, "get") {
		return
	}
	key, ok := cmd.Args[2].(*parse.StringNode)
	if !ok {
		return
	}
	switch x := cmd.Args[1].(type) {
	case *parse.FieldNode:
		if rootDot && len(x.Ident) == 1 && x.Ident[0] == "event" {
			w.readsEvent(key.Text)
		}
	case *parse.VariableNode:
		if len(x.Ident) == 2 && x.Ident[0] == "$" && x.Ident[1] == "event" {
			w.readsEvent(key.Text)
		}
	}
}

// readsEvent records that the template reads field key of event.
func (w *templateWalker) readsEvent(key string) {
	if w.tp.eventField == "" {
		w.tp.eventField = fieldName(key)
	}
}

// ref checks a reference to the template data: root name, dataset and
// meta field.
func (w *templateWalker) ref(n parse.Node, path []string) {
	if path[0] == "event" {
		w.tp.need.add(path[1:])
		if len(path) > 1 {
			w.readsEvent(path[1])
		}
	}
	switch root := path[0]; {
	case root == "item" && !w.scope.withItem && contains(w.scope.roots, root):
		w.fail(n, "unknown name .item (item is only defined in for_each rules)")
	case !contains(w.scope.roots, root):
		w.fail(n, "unknown name .%s (%s see %s)%s", root, w.scope.label, w.scope.names, suggest(root, w.scope.roots))
	case len(path) < 2:
	case root == "data":
		if _, ok := w.c.datasets[path[1]]; !ok {
			w.fail(n, "unknown dataset %q%s", path[1], w.c.known("datasets", w.c.datasetNames))
		}
	case root == "meta":
		if !contains(metaKeys, path[1]) {
			w.fail(n, "unknown meta field %q (meta has %s)", path[1], strings.Join(metaKeys, ", "))
		}
	}
}

package rules

import (
	"fmt"
	"strings"
	"text/template/parse"
	"unicode/utf8"
)

// scriptScanner computes, at load, the JavaScript context of every action
// of a script template by reading the template's text as JavaScript:
// code, a string or template literal, a comment or a regexp. It picks the
// escaper of each action and refuses templates whose contexts it cannot
// tell: an action in a regexp, a '/' that may divide or start a regexp,
// and {{if}}, {{range}} and {{with}} branches that do not end in the
// context they start in.
type scriptScanner struct {
	escapers map[*parse.ActionNode]escaper
	err      *scriptError // the first problem; scanning stops there
}

// scriptError is a problem at byte offset off of the template source;
// atNode says off is a node's, to be moved back to its "{{".
type scriptError struct {
	off    int
	msg    string
	atNode bool
}

// offset returns where the problem is in src.
func (e *scriptError) offset(src string) int {
	if e.atNode {
		if i := strings.LastIndex(src[:min(max(e.off, 0), len(src))], "{{"); i >= 0 {
			return i
		}
	}
	return e.off
}

// scanScript returns the escaper of every action of a script template.
func scanScript(root *parse.ListNode) (map[*parse.ActionNode]escaper, *scriptError) {
	sc := &scriptScanner{escapers: make(map[*parse.ActionNode]escaper)}
	sc.list(root, newJSState(), nil, true)
	return sc.escapers, sc.err
}

func (sc *scriptScanner) fail(off int, format string, args ...any) {
	if sc.err == nil {
		sc.err = &scriptError{off: off, msg: fmt.Sprintf(format, args...)}
	}
}

// failAt reports a problem at node position at.
func (sc *scriptScanner) failAt(at parse.Pos, format string, args ...any) {
	if sc.err == nil {
		sc.fail(int(at), format, args...)
		sc.err.atNode = true
	}
}

// list scans the nodes of l from st and returns the state at its end;
// loop is the state a {{range}} body started in (for break and continue),
// root says l is the template's top level.
func (sc *scriptScanner) list(l *parse.ListNode, st jsState, loop *jsState, root bool) jsState {
	if l == nil {
		return st
	}
	for i, n := range l.Nodes {
		if sc.err != nil {
			return st
		}
		switch n := n.(type) {
		case *parse.TextNode:
			if err := st.feed(string(n.Text)); err != nil {
				e := err.(*jsScanError)
				sc.fail(int(n.Pos)+e.i, "%s", e.msg)
			}
		case *parse.ActionNode:
			if len(n.Pipe.Decl) == 0 {
				sc.action(n, &st, l.Nodes, i, root)
			}
		case *parse.IfNode:
			st = sc.branches(&n.BranchNode, "if", st, loop)
		case *parse.WithNode:
			st = sc.branches(&n.BranchNode, "with", st, loop)
		case *parse.RangeNode:
			st = sc.rangeNode(n, st)
		case *parse.BreakNode:
			sc.loopExit(n.Position(), "break", st, loop)
		case *parse.ContinueNode:
			sc.loopExit(n.Position(), "continue", st, loop)
		}
	}
	return st
}

// action records the escaper of action n, the i-th node of siblings.
func (sc *scriptScanner) action(n *parse.ActionNode, st *jsState, siblings []parse.Node, i int, root bool) {
	mode, msg := st.action()
	if msg != "" {
		sc.failAt(n.Pos, "%s", msg)
		return
	}
	switch mode {
	case jsDQString, jsSQString, jsTemplate:
		sc.escapers[n] = escJSString
	case jsCode:
		sc.escapers[n] = codeEscaper(padBefore(siblings, i, root), padAfter(siblings, i, root))
	default: // comments: a literal holds no line break and no "*/"
		sc.escapers[n] = escJS
	}
}

// branches scans the bodies of an {{if}} or {{with}}: each must end in the
// context it starts in.
func (sc *scriptScanner) branches(b *parse.BranchNode, what string, st jsState, loop *jsState) jsState {
	st.boundary()
	end := joinJS(st, sc.branch(b.List, what, b.Position(), st, loop))
	if b.ElseList != nil {
		end = joinJS(end, sc.branch(b.ElseList, what+"}}…{{else", b.Position(), st, loop))
	}
	return end
}

// branch scans one body from st and checks that it ends there too. A
// word cannot continue across the branch's boundaries.
func (sc *scriptScanner) branch(l *parse.ListNode, what string, at parse.Pos, st jsState, loop *jsState) jsState {
	st.boundary()
	end := sc.list(l, st, loop, false)
	end.boundary()
	if sc.err == nil && !end.sameContext(st) {
		sc.failAt(at, "the {{%s}} body ends in %s but starts in %s: each branch must end in the context it starts in",
			what, end.describe(), st.describe())
		return st
	}
	return end
}

// rangeNode scans a {{range}}: its body runs again from where it ended,
// so it is scanned a second time when its end differs (in what a '/'
// starts, or whether a line began).
func (sc *scriptScanner) rangeNode(n *parse.RangeNode, st jsState) jsState {
	st.boundary()
	end := joinJS(st, sc.branch(n.List, "range", n.Position(), st, &st))
	if sc.err == nil && !end.equal(st) {
		end = joinJS(end, sc.branch(n.List, "range", n.Position(), end, &end))
	}
	if n.ElseList != nil {
		end = joinJS(end, sc.branch(n.ElseList, "range}}…{{else", n.Position(), st, nil))
	}
	return end
}

// loopExit checks that {{break}} or {{continue}} leaves the loop body in
// the context it started in.
func (sc *scriptScanner) loopExit(at parse.Pos, what string, st jsState, loop *jsState) {
	if loop != nil && !st.sameContext(*loop) {
		sc.failAt(at, "{{%s}} in %s, but the {{range}} body starts in %s", what, st.describe(), loop.describe())
	}
}

// padBefore says whether a literal that starts with a word character or
// '-' needs a space before it, so it does not join the text before: that
// text ends with a word character, '+' or '-', or is unknown (another
// action or a branch).
func padBefore(siblings []parse.Node, i int, root bool) bool {
	if i == 0 {
		return !root
	}
	t, ok := siblings[i-1].(*parse.TextNode)
	if !ok || len(t.Text) == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRune(t.Text)
	return isJSWordPart(r) || r == '+' || r == '-'
}

// padAfter says whether a literal that ends with a word character needs a
// space after it: the text after starts with a word character or '.', or
// is unknown.
func padAfter(siblings []parse.Node, i int, root bool) bool {
	if i == len(siblings)-1 {
		return !root
	}
	t, ok := siblings[i+1].(*parse.TextNode)
	if !ok || len(t.Text) == 0 {
		return true
	}
	r, _ := utf8.DecodeRune(t.Text)
	return isJSWordPart(r) || r == '.'
}

package rules

import (
	"math"
	"strconv"
	"text/template/parse"
)

// getFunc looks up keys in v one after the other, map keys by name and
// list elements by number, and returns null when one is missing, null or
// of another type: {{ get .event "customer" "name" | default "there" }}.
func getFunc(v any, keys ...any) any {
	for _, k := range keys {
		v = getOne(v, k)
		if v == nil {
			return nil
		}
	}
	return v
}

// getOne returns v[k], or nil.
func getOne(v, k any) any {
	switch c := v.(type) {
	case map[string]any:
		if s, ok := k.(string); ok {
			return c[s]
		}
	case map[string]string:
		if s, ok := k.(string); ok {
			if e, ok := c[s]; ok {
				return e
			}
		}
	case []any:
		if i, ok := listIndex(k); ok && i < len(c) {
			return c[i]
		}
	}
	return nil
}

// listIndex reads a non-negative list index.
func listIndex(k any) (int, bool) {
	switch x := k.(type) {
	case int:
		return x, x >= 0
	case int64:
		return int(x), x >= 0 && x <= math.MaxInt32
	case float64:
		return int(x), x >= 0 && x == math.Trunc(x) && x <= math.MaxInt32
	}
	return 0, false
}

// defaultFn is the name of the default function.
const defaultFn = "default"

// lenientDefault rewrites a field that default is given, so that a
// missing key yields null for default to replace instead of an error:
// {{ .event.x | default "n/a" }} and {{ default "n/a" .event.x }} read
// .event.x as {{ get . "event" "x" }}.
func (w *templateWalker) lenientDefault(p *parse.PipeNode) {
	for i, cmd := range p.Cmds {
		if !isCall(cmd, defaultFn) {
			continue
		}
		if len(cmd.Args) == 3 {
			if g := w.getCommand(cmd.Args[2]); g != nil {
				cmd.Args[2] = &parse.PipeNode{NodeType: parse.NodePipe, Pos: g.Pos, Cmds: []*parse.CommandNode{g}}
			}
		}
		if i == 1 && len(p.Cmds[0].Args) == 1 {
			if g := w.getCommand(p.Cmds[0].Args[0]); g != nil {
				p.Cmds[0] = g
			}
		}
	}
}

// isCall reports whether cmd calls function fn.
func isCall(cmd *parse.CommandNode, fn string) bool {
	id, ok := cmd.Args[0].(*parse.IdentifierNode)
	return ok && id.Ident == fn
}

// getCommand returns {{ get BASE "k1" "k2" }} for a field reference
// (.a.b, $.a.b, $x.a), or nil for other nodes.
func (w *templateWalker) getCommand(n parse.Node) *parse.CommandNode {
	var base parse.Node
	var keys []string
	switch f := n.(type) {
	case *parse.FieldNode:
		base, keys = &parse.DotNode{NodeType: parse.NodeDot, Pos: f.Pos}, f.Ident
	case *parse.VariableNode:
		if len(f.Ident) < 2 {
			return nil
		}
		base = &parse.VariableNode{NodeType: parse.NodeVariable, Pos: f.Pos, Ident: f.Ident[:1]}
		keys = f.Ident[1:]
	default:
		return nil
	}
	cmd := w.command(n.Position(), "get")
	cmd.Args = append(cmd.Args, base)
	for _, k := range keys {
		cmd.Args = append(cmd.Args, &parse.StringNode{NodeType: parse.NodeString, Pos: n.Position(), Quoted: strconv.Quote(k), Text: k})
	}
	return cmd
}

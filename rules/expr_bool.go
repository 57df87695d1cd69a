package rules

import (
	"fmt"

	"github.com/expr-lang/expr/ast"
)

// notBoolean returns what an expression whose syntax tree is n gives when
// that can never be a boolean, whatever the types of event, item and data
// (which the type checker does not know), and the node to report; "" when
// it may be boolean. It looks at the root, through the branches of
// conditionals, ?? and let, and the last expression of a sequence.
func notBoolean(n ast.Node) (string, ast.Node) {
	switch n := n.(type) {
	case *ast.BinaryNode:
		return binaryNotBoolean(n)
	case *ast.UnaryNode:
		if n.Operator == "-" || n.Operator == "+" {
			return fmt.Sprintf("a number (the result of unary %q)", n.Operator), n
		}
	case *ast.ConditionalNode:
		return bothNotBoolean(n.Exp1, n.Exp2)
	case *ast.VariableDeclaratorNode:
		return notBoolean(n.Expr)
	case *ast.SequenceNode:
		if len(n.Nodes) > 0 {
			return notBoolean(n.Nodes[len(n.Nodes)-1])
		}
	case *ast.SliceNode:
		return "a list or a string (the result of a slice [i:j])", n
	}
	if what := literalKind(n); what != "" {
		return what, n
	}
	return "", nil
}

// binaryNotBoolean handles the operators whose result is never boolean.
func binaryNotBoolean(n *ast.BinaryNode) (string, ast.Node) {
	switch n.Operator {
	case "+":
		return `a number or a string (the result of "+")`, n
	case "-", "*", "/", "%", "**", "^":
		return fmt.Sprintf("a number (the result of %q)", n.Operator), n
	case "..":
		return `a list (the range "..")`, n
	case "??":
		return bothNotBoolean(n.Left, n.Right)
	}
	return "", nil
}

// bothNotBoolean reports a and b when neither may be boolean, at a.
func bothNotBoolean(a, b ast.Node) (string, ast.Node) {
	what, at := notBoolean(a)
	if what == "" {
		return "", nil
	}
	if other, _ := notBoolean(b); other == "" {
		return "", nil
	}
	return what, at
}

// literalKind names a literal that is not boolean; "" for other nodes.
func literalKind(n ast.Node) string {
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode:
		return "a number literal"
	case *ast.StringNode:
		return "a string literal"
	case *ast.BytesNode:
		return "a bytes literal"
	case *ast.NilNode:
		return "nil"
	case *ast.ArrayNode:
		return "a list literal"
	case *ast.MapNode:
		return "a map literal"
	}
	return ""
}

// checkBoolean reports a when expression that can never be boolean, at
// the operator or literal that makes it so.
func (c *compiler) checkBoolean(what, src string, at valuePos, root ast.Node) bool {
	kind, n := notBoolean(root)
	if kind == "" {
		return true
	}
	line, col := runeLineCol(src, n.Location().From)
	c.errs.add(at.at(line, col), "%s: must be boolean, found %s", what, kind)
	return false
}

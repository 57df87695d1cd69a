package rules

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/patcher"
	"github.com/expr-lang/expr/vm"
)

// Limits on what one expression may cost.
const (
	// maxSourceLen caps the length of an expression or template, in bytes.
	maxSourceLen = 4096
	// maxNodes caps the size of an expression's syntax tree.
	maxNodes = 1000
	// memoryBudget caps what one expression run may allocate, in expr's
	// units (roughly elements of the lists and maps it builds or walks).
	memoryBudget = 1_000_000
)

// exprMeta is `meta` in expressions.
type exprMeta struct {
	Source   string            `expr:"source"`
	Subject  string            `expr:"subject"`
	Webhook  string            `expr:"webhook"`
	Schedule string            `expr:"schedule"`
	Headers  map[string]string `expr:"headers"`
	ID       string            `expr:"id"`
	Time     time.Time         `expr:"time"`
}

// metaKeys are the fields of meta, in documentation order.
var metaKeys = []string{"source", "subject", "webhook", "schedule", "headers", "id", "time"}

// exprEnv is the environment of expressions outside for_each rules.
type exprEnv struct {
	Event any            `expr:"event"`
	Meta  exprMeta       `expr:"meta"`
	Data  map[string]any `expr:"data"`
	Now   time.Time      `expr:"now"`
}

// itemEnv is the environment of expressions in for_each rules.
type itemEnv struct {
	Event any            `expr:"event"`
	Meta  exprMeta       `expr:"meta"`
	Data  map[string]any `expr:"data"`
	Now   time.Time      `expr:"now"`
	Item  any            `expr:"item"`
}

// program is a compiled expression and where it came from.
type program struct {
	prog *vm.Program
	what string // the rule key, for messages: "when", "notify.to", "for_each"
	at   valuePos
	// eventField is the first field of event the expression reads
	// ("event.status"), or "".
	eventField string
	// need is what the expression reads of the event.
	need *need
}

// exprKind is what an expression must produce.
type exprKind int

const (
	kindBool exprKind = iota
	kindIdentities
	kindList
	kindString
)

// compileExpr compiles src, the value of the scalar at, reporting problems
// to errs. withItem says whether `item` is defined.
func (c *compiler) compileExpr(what, src string, at valuePos, kind exprKind, withItem bool) *program {
	if len(src) > maxSourceLen {
		c.errs.add(at.node(), "%s: expression is %d bytes long, more than the limit of %d", what, len(src), maxSourceLen)
		return nil
	}
	tree, err := parser.Parse(src)
	if err != nil {
		c.exprError(what, src, at, err)
		return nil
	}
	if !c.checkNames(what, src, at, tree.Node) {
		return nil
	}
	if kind == kindBool && !c.checkBoolean(what, src, at, tree.Node) {
		return nil
	}
	opts := c.exprOpts
	if withItem {
		opts = c.itemExprOpts
	}
	if kind == kindBool {
		opts = append(slices.Clip(opts), expr.AsBool())
	}
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		c.exprError(what, src, at, err)
		return nil
	}
	if msg := checkResultType(kind, prog.Node().Type()); msg != "" {
		c.errs.add(at.node(), "%s: %s", what, msg)
		return nil
	}
	p := &program{prog: prog, what: what, at: at, eventField: exprEventField(tree.Node), need: exprNeed(tree.Node)}
	c.rule.merge(p.need)
	return p
}

// exprOptions returns the compile options of every expression; withItem
// declares `item`.
func exprOptions(withItem bool) []expr.Option {
	env := any(exprEnv{})
	if withItem {
		env = itemEnv{}
	}
	return []expr.Option{
		expr.Env(env),
		expr.MaxNodes(maxNodes),
		expr.DisableBuiltin("now"), // `now` is a variable: the evaluation's clock
		expr.Patch(patcher.WithTimezone{Location: time.UTC}),
		expr.Patch(nowArgument{}),
		expr.Function("daysUntil", daysUntilFunc, new(func(any, time.Time) int)),
		expr.Function("daysSince", daysSinceFunc, new(func(any, time.Time) int)),
	}
}

// checkResultType checks what expr knows of the result type statically;
// an interface type is checked at run time.
func checkResultType(kind exprKind, t reflect.Type) string {
	if t == nil || t.Kind() == reflect.Interface {
		return ""
	}
	switch kind {
	case kindIdentities:
		if t.Kind() == reflect.String {
			return ""
		}
		if (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) &&
			(t.Elem().Kind() == reflect.String || t.Elem().Kind() == reflect.Interface) {
			return ""
		}
		return fmt.Sprintf("must be a string or a list of strings, found %s", typeName(t))
	case kindList:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			return ""
		}
		return fmt.Sprintf("must be a list, found %s", typeName(t))
	case kindString:
		if t.Kind() == reflect.String {
			return ""
		}
		return fmt.Sprintf("must be a string, found %s", typeName(t))
	}
	return ""
}

// typeName names a Go type in the rule language's words.
func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "bool"
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "int"
	case reflect.Float32, reflect.Float64:
		return "float"
	case reflect.Map:
		return "map"
	case reflect.Slice, reflect.Array:
		return "list"
	}
	if t == reflect.TypeFor[time.Time]() {
		return "time"
	}
	if t == reflect.TypeFor[time.Duration]() {
		return "duration"
	}
	return t.String()
}

// exprError reports a parse or compile error at its position in the file.
func (c *compiler) exprError(what, src string, at valuePos, err error) {
	var fe *file.Error
	if !errors.As(err, &fe) {
		c.errs.addErr(at.node(), err, "%s: %v", what, err)
		return
	}
	msg := fe.Message
	if msg == "unknown name item" {
		msg += " (item is only defined in for_each rules)"
	}
	if what == "notify.to" && strings.Contains(src, "@") && !strings.ContainsAny(src, `"'`) {
		msg += `; to name an identity literally, quote it: '"ann@example.com"'`
	}
	c.errs.addErr(at.at(fe.Line, fe.Column), fe, "%s: %s", what, msg)
}

// checkNames reports references to unknown datasets and meta fields, which
// the type checker cannot see (data is a map) or words poorly.
func (c *compiler) checkNames(what, src string, at valuePos, root ast.Node) bool {
	v := &nameChecker{c: c, what: what, src: src, at: at, ok: true}
	ast.Walk(&root, v)
	return v.ok
}

type nameChecker struct {
	c    *compiler
	what string
	src  string
	at   valuePos
	ok   bool
}

// Visit implements ast.Visitor.
func (v *nameChecker) Visit(n *ast.Node) {
	m, ok := (*n).(*ast.MemberNode)
	if !ok {
		return
	}
	id, ok := m.Node.(*ast.IdentifierNode)
	if !ok {
		return
	}
	prop, ok := m.Property.(*ast.StringNode)
	if !ok {
		return
	}
	var msg string
	switch id.Value {
	case "data":
		if _, known := v.c.datasets[prop.Value]; !known {
			msg = fmt.Sprintf("unknown dataset %q%s", prop.Value, v.c.known("datasets", v.c.datasetNames))
		}
	case "meta":
		if !contains(metaKeys, prop.Value) {
			msg = fmt.Sprintf("unknown meta field %q (meta has %s)", prop.Value, strings.Join(metaKeys, ", "))
		}
	}
	if msg == "" {
		return
	}
	v.ok = false
	loc := prop.Location()
	line, col := runeLineCol(v.src, loc.From)
	v.c.errs.add(v.at.at(line, col), "%s: %s", v.what, msg)
}

// runeLineCol converts a rune offset into a 1-based line and 0-based column.
func runeLineCol(src string, from int) (line, col int) {
	line = 1
	i := 0
	for _, r := range src {
		if i == from {
			break
		}
		i++
		if r == '\n' {
			line++
			col = 0
		} else {
			col++
		}
	}
	return line, col
}

// nowArgument passes `now` to the one-argument forms of daysUntil and
// daysSince, so they count from the evaluation's clock.
type nowArgument struct{}

// Visit implements ast.Visitor.
func (nowArgument) Visit(n *ast.Node) {
	call, ok := (*n).(*ast.CallNode)
	if !ok || len(call.Arguments) != 1 {
		return
	}
	if id, ok := call.Callee.(*ast.IdentifierNode); ok && (id.Value == "daysUntil" || id.Value == "daysSince") {
		now := &ast.IdentifierNode{Value: "now"}
		now.SetLocation(call.Location())
		call.Arguments = append(call.Arguments, now)
	}
}

func daysUntilFunc(params ...any) (any, error) {
	return daysBetween(params[0], params[1].(time.Time))
}

func daysSinceFunc(params ...any) (any, error) {
	d, err := daysBetween(params[0], params[1].(time.Time))
	return -d, err
}

// runError maps an error of a running program to its position in the file.
func (p *program) runError(err error) error {
	var fe *file.Error
	if errors.As(err, &fe) {
		pos := p.at.at(fe.Line, fe.Column)
		return &Error{File: pos.file, Line: pos.line, Column: pos.col, Msg: p.what + ": " + fe.Message, Err: err}
	}
	pos := p.at.node()
	return &Error{File: pos.file, Line: pos.line, Column: pos.col, Msg: p.what + ": " + err.Error(), Err: err}
}

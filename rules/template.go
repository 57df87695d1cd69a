package rules

import (
	"regexp"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
)

// tmpl is a compiled message or dedup key template.
type tmpl struct {
	t    *template.Template
	src  string
	what string // rule key, for messages: "text", "script", "dedup.key"
	at   valuePos
	// escapers are a script's actions' escapers, by the JavaScript
	// context of each (nil for text).
	escapers map[*parse.ActionNode]escaper
	// eventField is the first field of .event the template reads
	// ("event.status"), or "".
	eventField string
	// need is what the template reads of the event.
	need *need
	// fast, when not nil, renders the template without text/template: it
	// is the template's text and field references in order (a template of
	// plain text and {{ .a.b }} actions, the common case).
	fast []segment
}

// segment is literal text or a field reference of a fast template.
type segment struct {
	text string
	path []string   // field reference: root name, then keys; nil for text
	node parse.Node // the field node, for error positions
	esc  escaper    // how the field's value is written
}

// Names of the functions the walker inserts: every action's output is
// piped into outText or, in a script, the escaper of its JavaScript
// context (escaperFuncs; outJS for code), every range pipeline into
// rangeFunc with the budget found under budgetKey in the template data.
const (
	outText   = "_text"
	outJS     = "_js"
	rangeFunc = "_range"
	budgetKey = "_budget"
)

// Limits of one template execution.
const (
	// maxRangeIterations caps the elements all ranges of one rendering
	// visit together, so nested loops over event data cannot stall.
	maxRangeIterations = 100_000
	// maxMessageLen caps a rendered message, in bytes.
	maxMessageLen = 256 << 10
)

// templateRoots are the names a template may start a field reference with.
var templateRoots = []string{"event", "meta", "item", "data", "now"}

// templateScope is what a template may refer to.
type templateScope struct {
	roots    []string
	label    string // the templates, for messages
	names    string // the roots, for messages
	withItem bool   // item is defined (for_each rules)
}

// The scopes of rule templates (message, dedup key) and digest templates.
var (
	ruleScope   = templateScope{roots: templateRoots, label: "templates", names: ".event, .meta, .item, .data and .now"}
	digestScope = templateScope{roots: digestRoots, label: "digest templates", names: ".items, .count, .now and .data"}
)

// compileTemplate parses and checks a rule template, reporting problems to
// c.errs; js selects script escaping.
func (c *compiler) compileTemplate(rule, what, src string, at valuePos, js, withItem bool) *tmpl {
	scope := ruleScope
	scope.withItem = withItem
	return c.compileTemplateIn(rule, what, src, at, js, scope)
}

// compileTemplateIn is compileTemplate for a template that sees scope.
func (c *compiler) compileTemplateIn(rule, what, src string, at valuePos, js bool, scope templateScope) *tmpl {
	if len(src) > maxSourceLen {
		c.errs.add(at.node(), "%s: template is %d bytes long, more than the limit of %d", what, len(src), maxSourceLen)
		return nil
	}
	t, err := template.New(rule + "." + what).Option("missingkey=error").Funcs(c.funcs).Parse(src)
	if err != nil {
		line, msg := parseErrorLine(err)
		c.errs.addErr(at.at(line, 0), err, "%s: template: %s", what, msg)
		return nil
	}
	tp := &tmpl{t: t, src: src, what: what, at: at, need: &need{}}
	w := &templateWalker{c: c, tp: tp, tree: t.Tree, scope: scope, ok: true}
	if len(t.Templates()) > 1 {
		w.fail(t.Root, "{{define}} and {{block}} are not supported in rule templates")
	}
	if js {
		var serr *scriptError
		if tp.escapers, serr = scanScript(t.Root); serr != nil {
			c.errs.add(at.atOffset(src, serr.offset(src)), "%s: %s", what, serr.msg)
			return nil
		}
	}
	tp.fast = fastSegments(t.Root, tp.escapers)
	w.list(t.Root, true)
	if !w.ok {
		return nil
	}
	if contains(scope.roots, "event") { // a digest template sees no event
		c.rule.merge(tp.need)
	}
	return tp
}

// escaperOf returns the escaper of action n: escText, the zero escaper,
// in a text template, whose escapers are nil.
func (tp *tmpl) escaperOf(n *parse.ActionNode) escaper { return tp.escapers[n] }

// parseErrorRE matches text/template's parse errors: "template: NAME:LINE: MSG".
var parseErrorRE = regexp.MustCompile(`^template: [^:]*:(\d+): (.*)$`)

func parseErrorLine(err error) (int, string) {
	m := parseErrorRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 1, strings.TrimPrefix(err.Error(), "template: ")
	}
	line, _ := strconv.Atoi(m[1])
	return line, m[2]
}

// fastSegments returns the segments of a template made only of text and
// single-field actions ({{ .event.id }}), or nil; escapers are a script's
// (nil for text).
func fastSegments(root *parse.ListNode, escapers map[*parse.ActionNode]escaper) []segment {
	segs := make([]segment, 0, len(root.Nodes))
	for _, n := range root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			segs = append(segs, segment{text: string(n.Text)})
		case *parse.ActionNode:
			if len(n.Pipe.Decl) != 0 || len(n.Pipe.Cmds) != 1 || len(n.Pipe.Cmds[0].Args) != 1 {
				return nil
			}
			esc := escapers[n] // escText for a text template (nil escapers)
			switch f := n.Pipe.Cmds[0].Args[0].(type) {
			case *parse.FieldNode:
				segs = append(segs, segment{path: f.Ident, node: f, esc: esc})
			case *parse.VariableNode:
				if f.Ident[0] != "$" || len(f.Ident) < 2 {
					return nil
				}
				segs = append(segs, segment{path: f.Ident[1:], node: f, esc: esc})
			default:
				return nil
			}
		default:
			return nil
		}
	}
	return segs
}

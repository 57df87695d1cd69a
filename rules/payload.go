package rules

import (
	"fmt"
	"reflect"
	"strconv"

	"github.com/expr-lang/expr/ast"
)

// payloadError is the error of a rule that reads fields of an event whose
// payload is not an object.
type payloadError struct {
	kind  string // what the payload is: "a JSON array"
	field string // a field the rule reads: "event.status"
	err   error  // the evaluation error
}

func (e *payloadError) Error() string {
	return fmt.Sprintf("event payload is %s, not an object (the rule reads %s)", e.kind, e.field)
}

func (e *payloadError) Unwrap() error { return e.err }

// classify returns the reason of a rule's evaluation error and the error
// to report: a rule that reads event fields fails with ReasonDecode when
// the payload is not an object, whatever the error says.
func classify(r *Rule, payload any, err error) (string, error) {
	if r.eventField == "" || isObject(payload) {
		return ReasonRender, err
	}
	return ReasonDecode, &payloadError{kind: payloadKind(payload), field: r.eventField, err: err}
}

// isObject reports whether a payload is a JSON object (or a form body).
func isObject(v any) bool {
	switch v.(type) {
	case map[string]any, map[string]string:
		return true
	}
	return v != nil && reflect.TypeOf(v).Kind() == reflect.Map
}

// payloadKind names the type of a payload that is not an object.
func payloadKind(v any) string {
	switch v.(type) {
	case nil:
		return "null (an empty or null body)"
	case string:
		return "a string (text/plain or non-JSON body)"
	case bool:
		return "a JSON boolean"
	case int, int64, float64:
		return "a JSON number"
	}
	if k := reflect.TypeOf(v).Kind(); k == reflect.Slice || k == reflect.Array {
		return "a JSON array"
	}
	return fmt.Sprintf("a %T", v)
}

// fieldName writes a field read as event.key, or event["key"] when key is
// not an identifier.
func fieldName(key string) string {
	if isIdentifier(key) {
		return "event." + key
	}
	return "event[" + strconv.Quote(key) + "]"
}

func isIdentifier(s string) bool {
	for i, c := range s {
		if c != '_' && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

// exprEventField returns the first field of event an expression reads by
// name (event.status, event["status"], event?.status, get(event,
// "status")), or "".
func exprEventField(root ast.Node) string {
	v := &eventFieldFinder{from: -1}
	ast.Walk(&root, v)
	return v.field
}

type eventFieldFinder struct {
	field string
	from  int // source offset of field
}

// Visit implements ast.Visitor.
func (v *eventFieldFinder) Visit(n *ast.Node) {
	var base, key ast.Node
	switch x := (*n).(type) {
	case *ast.MemberNode:
		base, key = x.Node, x.Property
	case *ast.BuiltinNode:
		if x.Name == "get" && len(x.Arguments) == 2 {
			base, key = x.Arguments[0], x.Arguments[1]
		}
	}
	id, ok := base.(*ast.IdentifierNode)
	if !ok || id.Value != "event" {
		return
	}
	s, ok := key.(*ast.StringNode)
	if !ok {
		return
	}
	if from := (*n).Location().From; v.from < 0 || from < v.from {
		v.field, v.from = fieldName(s.Value), from
	}
}

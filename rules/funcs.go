package rules

import (
	"fmt"
	"reflect"
	"strings"
	"text/template"
	"time"
)

// rangeBudget is what is left of maxRangeIterations in one rendering.
type rangeBudget struct{ left int }

// errMessageTooLong stops a rendering that exceeds maxMessageLen.
var errMessageTooLong = fmt.Errorf("rendered message exceeds %d KiB", maxMessageLen>>10)

// chargeRange charges the length of what a range iterates over to b.
func chargeRange(b *rangeBudget, v any) (any, error) {
	n := 0
	switch x := v.(type) {
	case []any:
		n = len(x)
	case map[string]any:
		n = len(x)
	default:
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Slice, reflect.Array, reflect.Map, reflect.String:
			n = rv.Len()
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			n = int(min(max(rv.Int(), 0), maxRangeIterations+1))
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			n = int(min(rv.Uint(), maxRangeIterations+1))
		}
	}
	if n > b.left {
		return nil, fmt.Errorf("range: the template's loops visit more than %d elements", maxRangeIterations)
	}
	b.left -= n
	return v, nil
}

// templateFuncs returns the functions of templates; see doc.go.
func templateFuncs() template.FuncMap {
	m := template.FuncMap{
		"lower":     func(v any) (string, error) { s, err := formatText(v); return strings.ToLower(s), err },
		"upper":     func(v any) (string, error) { s, err := formatText(v); return strings.ToUpper(s), err },
		"trim":      func(v any) (string, error) { s, err := formatText(v); return strings.TrimSpace(s), err },
		"default":   defaultFunc,
		"join":      joinFunc,
		"json":      func(v any) (string, error) { b, err := marshalJSON(v, false); return string(b), err },
		"date":      dateFunc,
		"daysUntil": func(now time.Time, v any) (int, error) { return daysBetween(v, now) },
		"daysSince": func(now time.Time, v any) (int, error) { d, err := daysBetween(v, now); return -d, err },
		"printf":    printfFunc,
		"number":    numberFunc,
		"get":       getFunc,
		rangeFunc:   chargeRange,
	}
	for e := range escaperFuncs {
		m[escaper(e).name()] = escaper(e).format
	}
	return m
}

// defaultFunc returns v, or def when v is null or empty.
func defaultFunc(def, v any) any {
	switch x := v.(type) {
	case nil:
		return def
	case string:
		if x == "" {
			return def
		}
	case []any:
		if len(x) == 0 {
			return def
		}
	case map[string]any:
		if len(x) == 0 {
			return def
		}
	}
	return v
}

// joinFunc joins the elements of a list with sep, each rendered as text
// ({{ . }}) renders it.
func joinFunc(sep string, list any) (string, error) {
	var parts []string
	switch x := list.(type) {
	case []string:
		parts = x
	case []any:
		parts = make([]string, len(x))
		for i, e := range x {
			s, err := formatText(e)
			if err != nil {
				return "", fmt.Errorf("join: element %d: %w", i, err)
			}
			parts[i] = s
		}
	default:
		rv := reflect.ValueOf(list)
		if list == nil || rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
			return "", fmt.Errorf("join: expected a list, found %s", describeValue(list))
		}
		parts = make([]string, rv.Len())
		for i := range parts {
			s, err := formatText(rv.Index(i).Interface())
			if err != nil {
				return "", fmt.Errorf("join: element %d: %w", i, err)
			}
			parts[i] = s
		}
	}
	return strings.Join(parts, sep), nil
}

// dateFunc formats a time with a Go layout; a string is read as RFC 3339
// (or YYYY-MM-DD), a number as Unix seconds (see toTime).
func dateFunc(layout string, v any) (string, error) {
	t, err := toTime(v)
	if err != nil {
		return "", fmt.Errorf("date: %w", err)
	}
	return t.Format(layout), nil
}

package rules

import (
	"errors"
	"fmt"
	"reflect"
)

// identities runs `to` and adds its identities to ids.
func (st *evalState) identities(r *Rule, ids *identitySet, withItem bool) error {
	v, err := st.run(r.to, withItem)
	if err != nil {
		return err
	}
	bad := func(what string) error {
		return r.to.valueError(fmt.Sprintf("must be a string or a list of strings, %s", what))
	}
	switch x := v.(type) {
	case string:
		if x == "" {
			return r.to.valueError("empty identity")
		}
		ids.add(x)
	case []string:
		for _, id := range x {
			if id == "" {
				return r.to.valueError("empty identity in the list")
			}
			ids.add(id)
		}
	case []any:
		for i, e := range x {
			id, ok := e.(string)
			if !ok || id == "" {
				return bad(fmt.Sprintf("element %d is %s", i, describeValue(e)))
			}
			ids.add(id)
		}
	default:
		return bad("found " + describeValue(v))
	}
	return nil
}

// valueError is an error about the value a program produced.
func (p *program) valueError(msg string) error {
	at := p.at.node()
	return &Error{File: at.file, Line: at.line, Column: at.col, Msg: p.what + ": " + msg}
}

// describeValue names a runtime value's type for messages.
func describeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if x == "" {
			return "an empty string"
		}
		return "a string"
	}
	return typeName(reflect.TypeOf(v))
}

// listItems converts the value of for_each to a list.
func listItems(v any) ([]any, error) {
	switch x := v.(type) {
	case []any:
		return x, nil
	case nil:
		return nil, errors.New("must be a list, found null (a missing key?)")
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, fmt.Errorf("must be a list, found %s", describeValue(v))
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, nil
}

// identitySet is an ordered set of identities.
type identitySet struct {
	list []string
	seen map[string]struct{} // built once the list is long
}

// identitySetIndexAt is the size from which membership uses a map.
const identitySetIndexAt = 16

// add appends id unless it is present.
func (s *identitySet) add(id string) {
	if s.seen != nil {
		if _, dup := s.seen[id]; dup {
			return
		}
		s.seen[id] = struct{}{}
		s.list = append(s.list, id)
		return
	}
	for _, e := range s.list {
		if e == id {
			return
		}
	}
	s.list = append(s.list, id)
	if len(s.list) >= identitySetIndexAt {
		s.seen = make(map[string]struct{}, 2*len(s.list))
		for _, e := range s.list {
			s.seen[e] = struct{}{}
		}
	}
}

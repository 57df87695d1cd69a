package rules

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// errSlowPath sends a fast template to text/template, for values the fast
// path does not handle (such as a method of a time).
var errSlowPath = errors.New("use text/template")

// render executes the template for the current event (and item).
func (tp *tmpl) render(st *evalState, withItem bool) (string, error) {
	if tp.fast != nil {
		s, err := tp.renderFast(st)
		if err != errSlowPath {
			return s, err
		}
	}
	st.out.buf.Reset()
	st.budget = rangeBudget{left: maxRangeIterations}
	if err := tp.t.Execute(&st.out, st.templateData(withItem)); err != nil {
		if errors.Is(err, errMessageTooLong) {
			return "", tp.errorAt(0, err.Error(), err)
		}
		return "", tp.renderError(err)
	}
	return st.out.buf.String(), nil
}

// limitedBuffer is a bytes.Buffer that refuses to grow past maxMessageLen.
type limitedBuffer struct {
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > maxMessageLen {
		return 0, errMessageTooLong
	}
	return b.buf.Write(p)
}

// renderFast renders a template of text and field references without
// text/template, with the same results and errors.
func (tp *tmpl) renderFast(st *evalState) (string, error) {
	if len(tp.fast) == 1 && tp.fast[0].path == nil {
		return tp.fast[0].text, nil
	}
	buf := st.buf[:0]
	for i := range tp.fast {
		sg := &tp.fast[i]
		if sg.path == nil {
			buf = append(buf, sg.text...)
			continue
		}
		v, err := st.lookup(sg.path)
		if err != nil {
			if err == errSlowPath {
				return "", err
			}
			return "", tp.errorAt(nodeStart(tp.src, sg.node), fmt.Sprintf("%v (at <%s>)", err, sg.node), err)
		}
		if buf, err = appendValue(buf, v, sg.esc); err != nil {
			return "", tp.errorAt(nodeStart(tp.src, sg.node), fmt.Sprintf("%v (at <%s>)", err, sg.node), err)
		}
	}
	st.buf = buf
	return string(buf), nil
}

// appendValue appends v, written as esc says, to buf.
func appendValue(buf []byte, v any, esc escaper) ([]byte, error) {
	switch x := v.(type) {
	case int:
		if esc == escText || esc == escJS || esc == escJSString {
			return strconv.AppendInt(buf, int64(x), 10), nil
		}
	case string:
		if esc == escText {
			return append(buf, x...), nil
		}
	}
	s, err := esc.format(v)
	return append(buf, s...), err
}

// lookup resolves a field reference as text/template with
// missingkey=error would.
func (st *evalState) lookup(path []string) (any, error) {
	var v any
	rest := path[1:]
	switch path[0] {
	case "event":
		v = st.env.Event
	case "item":
		v = st.item
	case "data":
		v = st.env.Data
	case "now":
		if len(rest) > 0 {
			return nil, errSlowPath
		}
		v = st.env.Now
	case "meta":
		if len(rest) == 0 {
			return nil, errSlowPath
		}
		var ok bool
		if v, ok = st.metaField(rest[0]); !ok {
			return nil, fmt.Errorf("map has no entry for key %q", rest[0])
		}
		rest = rest[1:]
	default:
		return nil, errSlowPath
	}
	for _, key := range rest {
		var ok bool
		switch m := v.(type) {
		case map[string]any:
			v, ok = m[key]
		case map[string]string:
			v, ok = m[key]
		case nil:
			return nil, fmt.Errorf("nil pointer evaluating interface {}.%s", key)
		default:
			return nil, errSlowPath
		}
		if !ok {
			return nil, fmt.Errorf("map has no entry for key %q", key)
		}
	}
	return v, nil
}

// metaField returns a field of meta as the template data holds it.
func (st *evalState) metaField(name string) (any, bool) {
	m := &st.env.Meta
	switch name {
	case "source":
		return m.Source, true
	case "subject":
		return m.Subject, true
	case "webhook":
		return m.Webhook, true
	case "schedule":
		return m.Schedule, true
	case "headers":
		return m.Headers, true
	case "id":
		return m.ID, true
	case "time":
		return time.Time(m.Time), true
	}
	return nil, false
}

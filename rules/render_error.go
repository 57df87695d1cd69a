package rules

import (
	"regexp"
	"strconv"
	"strings"
)

// execErrorRE matches text/template's execution errors:
// `template: NAME:LINE:COL: executing "NAME" at <CONTEXT>: MSG`.
var execErrorRE = regexp.MustCompile(`^template: [^:]*:(\d+):(\d+): executing "[^"]*" at <(.*?)>: (.*)$`)

// renderError maps a template execution error to the rule file.
func (tp *tmpl) renderError(err error) error {
	m := execErrorRE.FindStringSubmatch(err.Error())
	if m == nil {
		p := tp.at.node()
		return &Error{File: p.file, Line: p.line, Column: p.col, Msg: tp.what + ": " + err.Error(), Err: err}
	}
	line, _ := strconv.Atoi(m[1])
	col, _ := strconv.Atoi(m[2])
	msg := m[4]
	msg = strings.TrimPrefix(msg, "error calling "+rangeFunc+": ")
	for _, fn := range escaperFuncs {
		msg = strings.TrimPrefix(msg, "error calling "+fn+": ")
	}
	off := tp.lineOffset(line, col)
	if ctx := m[3]; !strings.HasPrefix(ctx, "_") { // not a function the walker inserted
		msg += " (at <" + ctx + ">)"
		off = startOf(tp.src, off, ctx)
	}
	return tp.errorAt(off, msg, err)
}

// lineOffset converts text/template's line and byte column to an offset.
func (tp *tmpl) lineOffset(line, col int) int {
	off := 0
	for i := 1; i < line; i++ {
		nl := strings.IndexByte(tp.src[off:], '\n')
		if nl < 0 {
			break
		}
		off += nl + 1
	}
	return off + col
}

// errorAt returns an *Error at byte offset off of the template.
func (tp *tmpl) errorAt(off int, msg string, err error) error {
	p := tp.at.atOffset(tp.src, off)
	return &Error{File: p.file, Line: p.line, Column: p.col, Msg: tp.what + ": " + msg, Err: err}
}

package rules

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
)

// Error is one problem in a rule file (or a dataset), reported at the
// position of the offending YAML node: "file:line:col: message". Load
// returns all of them joined with errors.Join; evaluation failures that can
// be traced to a rule's expression or template use it too.
type Error struct {
	File   string
	Line   int // 1-based
	Column int // 1-based
	Msg    string
	// Err is the underlying error, if any.
	Err error
}

// Error formats the error as "file:line:col: message".
func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// pos is a position in a file.
type pos struct {
	file      string
	line, col int
}

func (p pos) String() string { return fmt.Sprintf("%s:%d:%d", p.file, p.line, p.col) }

// errorList collects load errors.
type errorList struct {
	errs []*Error
}

func (l *errorList) add(p pos, format string, args ...any) {
	l.errs = append(l.errs, &Error{File: p.file, Line: p.line, Column: p.col, Msg: fmt.Sprintf(format, args...)})
}

func (l *errorList) addErr(p pos, err error, format string, args ...any) {
	l.errs = append(l.errs, &Error{File: p.file, Line: p.line, Column: p.col, Msg: fmt.Sprintf(format, args...), Err: err})
}

// err returns the errors sorted by file and position, joined; nil if none.
func (l *errorList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(l.errs, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	errs := make([]error, len(l.errs))
	for i, e := range l.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

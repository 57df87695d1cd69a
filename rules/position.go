package rules

import (
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// valuePos maps a position inside a scalar's value (an expression or a
// template) to its position in the rule file.
type valuePos struct {
	file      string
	line, col int  // of the scalar node
	block     bool // literal (|) or folded (>) block scalar
	indent    int  // 1-based column of a block scalar's content
	quote     int  // 1 for quoted scalars
}

// valuePos returns the mapping for scalar n.
func (f *fileCtx) valuePos(n *yaml.Node) valuePos {
	v := valuePos{file: f.name, line: max(n.Line, 1), col: max(n.Column, 1)}
	switch n.Style {
	case yaml.LiteralStyle, yaml.FoldedStyle:
		v.block = true
		v.indent = f.blockIndent(n.Line)
	case yaml.SingleQuotedStyle, yaml.DoubleQuotedStyle:
		v.quote = 1
	}
	return v
}

// blockIndent returns the 1-based column of the first non-blank line after
// line (the content of a block scalar whose indicator is on line).
func (f *fileCtx) blockIndent(line int) int {
	for i := line; i < len(f.lines); i++ { // f.lines[line] is the line after
		s := f.lines[i]
		if strings.TrimSpace(s) == "" {
			continue
		}
		return len(s) - len(strings.TrimLeft(s, " ")) + 1
	}
	return 1
}

// node is the position of the scalar itself.
func (v valuePos) node() pos { return pos{file: v.file, line: v.line, col: v.col} }

// at maps line (1-based) and col0 (0-based, in runes) inside the value. In a
// literal block every line maps exactly; in plain and quoted scalars only
// the first line does (YAML folds the others), so later lines map to the
// scalar's start.
func (v valuePos) at(line, col0 int) pos {
	switch {
	case v.block:
		return pos{file: v.file, line: v.line + max(line, 1), col: v.indent + col0}
	case line <= 1:
		return pos{file: v.file, line: v.line, col: v.col + v.quote + col0}
	}
	return v.node()
}

// atOffset maps a byte offset inside value.
func (v valuePos) atOffset(value string, off int) pos {
	off = min(max(off, 0), len(value))
	before := value[:off]
	line := strings.Count(before, "\n") + 1
	lineStart := strings.LastIndexByte(before, '\n') + 1
	return v.at(line, utf8.RuneCountInString(before[lineStart:]))
}

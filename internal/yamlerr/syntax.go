package yamlerr

import (
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// TabInIndentation is the message Locate gives for a tab where YAML
// expects indentation.
const TabInIndentation = "found a tab character in indentation (YAML allows only spaces)"

// lineRE finds the line in yaml.v3's syntax errors ("yaml: line 3: ...").
var lineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserProblems are the problems yaml.v3's parser (not its scanner)
// reports. For these it prints a 0-based line, and no line for the first.
var parserProblems = []string{
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"did not find expected '-' indicator", "did not find expected <document start>",
	"did not find expected <stream-start>", "did not find expected key",
	"did not find expected node content", "found duplicate %TAG directive",
	"found duplicate %YAML directive", "found incompatible YAML document",
	"found undefined tag handle",
}

// tabProblems are the scanner's messages for a tab in indentation, which
// it reports on an earlier line than the tab's.
var tabProblems = []string{
	"found a tab character that violates indentation",
	"found a tab character where an indentation space is expected",
}

// badTokenStart is the scanner's message for a character that starts no
// token, such as a tab that begins a line's content.
const badTokenStart = "found character that cannot start any token"

// Locate returns the 1-based line and column of yaml.v3's syntax error
// err in src, and its message without the "yaml: line N:" prefix. yaml.v3
// gives no column, so the column is 1, except for a tab in indentation:
// yaml.v3 reports it one line (or more) early, so Locate finds the tab in
// src and returns its own line and column with TabInIndentation.
func Locate(src []byte, err error) (line, col int, msg string) {
	line, msg = 1, strings.TrimPrefix(err.Error(), "yaml: ")
	if m := lineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if slices.Contains(parserProblems, msg) {
			line++
		}
	}
	lines := bytes.Split(src, []byte("\n"))
	switch {
	case slices.Contains(tabProblems, msg):
		for i := max(line, 1) - 1; i < len(lines); i++ {
			if c := indentTab(lines[i]); c > 0 {
				return i + 1, c, TabInIndentation
			}
		}
	case msg == badTokenStart && line <= len(lines):
		if c := indentTab(lines[line-1]); c > 0 {
			return line, c, TabInIndentation
		}
	}
	return line, 1, msg
}

// indentTab returns the 1-based column of the first tab in the
// indentation of line (spaces, tabs, and the indicators "-", "?" and ":"
// that a blank follows), or 0.
func indentTab(line []byte) int {
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\t':
			return i + 1
		case c == ' ' || c == '\r':
		case (c == '-' || c == '?' || c == ':') && i+1 < len(line) && (line[i+1] == ' ' || line[i+1] == '\t'):
		default:
			return 0
		}
	}
	return 0
}

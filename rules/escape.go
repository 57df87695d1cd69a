package rules

import (
	"strings"
	"unicode/utf8"
)

// escaper is how an action's value is written into the output: as text,
// or in a script as a JavaScript literal (code and comments) or as string
// content (inside the author's '…', "…" or `…`).
type escaper uint8

const (
	escText       escaper = iota // text messages and dedup keys
	escJS                        // a JavaScript literal
	escJSPadLeft                 // a literal, with a space before a leading word character or '-'
	escJSPadRight                // a literal, with a space after a trailing word character
	escJSPadBoth                 // both
	escJSString                  // string content: no quotes added
)

// escaperFuncs are the template functions the walker pipes actions into,
// by escaper.
var escaperFuncs = [...]string{outText, outJS, "_jsl", "_jsr", "_jslr", "_jss"}

// name is the template function of e.
func (e escaper) name() string { return escaperFuncs[e] }

// codeEscaper returns the literal escaper with the padding the neighbours
// of an action need.
func codeEscaper(padLeft, padRight bool) escaper {
	switch {
	case padLeft && padRight:
		return escJSPadBoth
	case padLeft:
		return escJSPadLeft
	case padRight:
		return escJSPadRight
	}
	return escJS
}

// format writes v as e says.
func (e escaper) format(v any) (string, error) {
	switch e {
	case escText:
		return formatText(v)
	case escJSString:
		return formatJSString(v)
	}
	s, err := formatJS(v)
	if err != nil || s == "" {
		return s, err
	}
	if s[0] == '{' { // an object, never a block: a '/' after it divides
		s = "(" + s + ")"
	}
	if first, _ := utf8.DecodeRuneInString(s); (e == escJSPadLeft || e == escJSPadBoth) && (isJSWordPart(first) || first == '-') {
		s = " " + s
	}
	if last, _ := utf8.DecodeLastRuneInString(s); (e == escJSPadRight || e == escJSPadBoth) && isJSWordPart(last) {
		s += " "
	}
	return s, nil
}

// formatJSString writes v as text ({{ . }} would render it) escaped to be
// the content of any JavaScript string or template literal: every quote,
// backtick, backslash, "$", "{", "}", "/", "<", ">", "&", control
// character, U+2028 and U+2029 (and each invalid UTF-8 byte, as U+FFFD)
// becomes a \uXXXX escape. No raw character of the output can end a
// string, a template literal, a comment or a script element, or start a
// ${ substitution, whatever precedes it, even a backslash.
func formatJSString(v any) (string, error) {
	s, err := formatText(v)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				b.WriteString(`\ufffd`)
				continue
			}
		}
		if r < 0x20 || r == 0x7f || r == 0x2028 || r == 0x2029 || strings.ContainsRune("'\"`\\$/{}<>&", r) {
			const hex = "0123456789abcdef"
			b.WriteString(`\u`)
			b.WriteByte(hex[r>>12&0xf])
			b.WriteByte(hex[r>>8&0xf])
			b.WriteByte(hex[r>>4&0xf])
			b.WriteByte(hex[r&0xf])
			continue
		}
		b.WriteRune(r)
	}
	return b.String(), nil
}

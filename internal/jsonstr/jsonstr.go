// Package jsonstr appends Go strings as JSON string literals without
// reflection, for the encoders korelay writes by hand (the journal's
// records, the Kore notify body).
package jsonstr

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// Append appends s as a JSON string: quotes, backslashes and control
// characters escaped, each byte of invalid UTF-8 replaced by U+FFFD.
func Append(dst []byte, s string) []byte { return appendString(dst, s, false) }

// AppendHTMLSafe is Append that also escapes <, > and & and the line
// separators U+2028 and U+2029: byte for byte what encoding/json writes.
func AppendHTMLSafe(dst []byte, s string) []byte { return appendString(dst, s, true) }

// AppendEscape appends the escape of an ASCII byte that a JSON string
// cannot hold as it is: a quote, a backslash or a control character.
func AppendEscape(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}

func appendString(dst []byte, s string, html bool) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && (!html || c != '<' && c != '>' && c != '&') {
				i++
				continue
			}
			dst = AppendEscape(append(dst, s[start:i]...), c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(append(dst, s[start:i]...), `\ufffd`...)
		case html && (r == '\u2028' || r == '\u2029'):
			dst = append(append(dst, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(dst, s[start:]...), '"')
}

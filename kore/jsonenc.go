package kore

import (
	"unicode/utf8"
)

// jsonAppender is a request body that encodes itself, byte for byte as
// encoding/json would, without reflection.
type jsonAppender interface {
	appendJSON(dst []byte) []byte
}

// appendJSON appends the notify body as encoding/json writes it.
func (b *notifyBody) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"channel":`...)
	dst = appendJSONString(dst, b.Channel)
	dst = append(dst, `,"userIdentityType":`...)
	dst = appendJSONString(dst, b.UserIdentityType)
	dst = append(dst, `,"message":{"type":`...)
	dst = appendJSONString(dst, b.Message.Type)
	dst = append(dst, `,"val":`...)
	dst = appendJSONString(dst, b.Message.Val)
	dst = append(dst, `},"identities":`...)
	if b.Identities == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, id := range b.Identities {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, id)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as encoding/json encodes a string: <, > and &
// escaped for HTML, U+2028 and U+2029 escaped for JavaScript, and each
// byte of invalid UTF-8 replaced by U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

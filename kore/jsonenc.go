package kore

import "github.com/korelay/korelay/internal/jsonstr"

// jsonAppender is a request body that encodes itself, byte for byte as
// encoding/json would, without reflection.
type jsonAppender interface {
	appendJSON(dst []byte) []byte
}

// appendJSON appends the notify body as encoding/json writes it.
func (b *notifyBody) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"channel":`...)
	dst = jsonstr.AppendHTMLSafe(dst, b.Channel)
	dst = append(dst, `,"userIdentityType":`...)
	dst = jsonstr.AppendHTMLSafe(dst, b.UserIdentityType)
	dst = append(dst, `,"message":{"type":`...)
	dst = jsonstr.AppendHTMLSafe(dst, b.Message.Type)
	dst = append(dst, `,"val":`...)
	dst = jsonstr.AppendHTMLSafe(dst, b.Message.Val)
	dst = append(dst, `},"identities":`...)
	if b.Identities == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, id := range b.Identities {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonstr.AppendHTMLSafe(dst, id)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

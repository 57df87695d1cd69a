package kore

import (
	"bytes"
	"encoding/json"
	"testing"
)

// notifyBodyFor is the body Notify sends for channel, type, val and
// identities joined by newlines (empty: none; "\x00": nil).
func notifyBodyFor(channel, typ, val, identities string) notifyBody {
	b := notifyBody{Channel: channel, UserIdentityType: UserIdentityType, Message: Message{Type: typ, Val: val}}
	if identities != "\x00" {
		b.Identities = []string{}
		start := 0
		for i := 0; i <= len(identities); i++ {
			if i == len(identities) || identities[i] == '\n' {
				b.Identities = append(b.Identities, identities[start:i])
				start = i + 1
			}
		}
	}
	return b
}

func TestNotifyBodyMatchesEncodingJSON(t *testing.T) {
	tests := []struct{ channel, typ, val, identities string }{
		{"slack", MessageText, "Hi Ann, order 42 is confirmed.", "a@example.com"},
		{"msteams", MessageScript, `print("<b>" + 'x' + "</b>" && 1 > 0);`, "a@x.io\nb@x.io"},
		{"slack", MessageText, "quote \" backslash \\ slash / tab \t nl \n cr \r bs \b ff \f nul \x00 unit \x1f", "\x00"},
		{"slack", MessageText, "line\u2028para\u2029 emoji 🎉 ümlaut", ""},
		{"slack", MessageText, "bad utf-8 \xff\xfe and a cut rune \xe2\x82", "\xc3"},
		{"", "", "", "\n"},
	}
	for _, tt := range tests {
		b := notifyBodyFor(tt.channel, tt.typ, tt.val, tt.identities)
		want, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.appendJSON(nil); !bytes.Equal(got, want) {
			t.Errorf("appendJSON(%+v)\n got %s\nwant %s", b, got, want)
		}
	}
}

// FuzzNotifyBody: the notify body's encoder writes exactly what
// encoding/json writes, whatever the strings.
func FuzzNotifyBody(f *testing.F) {
	f.Add("slack", "text", "Hi <Ann> & co", "a@example.com\nb@example.com")
	f.Add("msteams", "script", "print(\"\u2028\")\x00\xff", "\x00")
	f.Fuzz(func(t *testing.T, channel, typ, val, identities string) {
		b := notifyBodyFor(channel, typ, val, identities)
		want, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.appendJSON([]byte("prefix")); !bytes.Equal(got[len("prefix"):], want) {
			t.Errorf("appendJSON\n got %s\nwant %s", got[len("prefix"):], want)
		}
	})
}

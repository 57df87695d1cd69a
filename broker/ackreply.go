package broker

import (
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ackMeta is what korelay reads of a JetStream delivery from its reply
// subject: the stream, the message's stream sequence, how many times it
// was delivered, and when it was stored.
type ackMeta struct {
	stream         string
	seq, delivered uint64
	stored         time.Time
}

// Token counts of a delivery's reply subject: $JS.ACK.<stream>.<consumer>.
// <delivered>.<sseq>.<cseq>.<tm>.<pending> (v1), or with <domain>.<account
// hash> before the stream and, since nats-server 2.9, a token at the end
// (v2: 11 or more).
const (
	ackTokensV1    = 9
	ackTokensV2Min = 11
)

// parseAckReply reads reply as jetstream.Msg's Metadata does, without
// allocating (every delivery is read): false when it is not a delivery's
// reply subject. Numbers that are not decimal digits read as 0, as there.
func parseAckReply(reply string) (ackMeta, bool) {
	rest, ok := strings.CutPrefix(reply, "$JS.ACK.")
	if !ok {
		return ackMeta{}, false
	}
	skip := 0 // tokens before the stream
	switch n := strings.Count(reply, ".") + 1; {
	case n == ackTokensV1:
	case n >= ackTokensV2Min:
		skip = 2
	default:
		return ackMeta{}, false
	}
	// After the skipped ones: stream, consumer, delivered, sseq, cseq, tm.
	var tok [6]string
	for i := 0; i < skip; i++ {
		_, rest, _ = strings.Cut(rest, ".")
	}
	for i := range tok {
		tok[i], rest, _ = strings.Cut(rest, ".")
	}
	return ackMeta{stream: tok[0], delivered: ackNum(tok[2]), seq: ackNum(tok[3]),
		stored: time.Unix(0, int64(ackNum(tok[5])))}, true
}

// ackNum reads a decimal number of a reply subject; anything else is 0.
func ackNum(s string) uint64 {
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}

// deliveryMeta reads a JetStream delivery's metadata: from its reply
// subject, or through nats.go for a form parseAckReply does not know.
func deliveryMeta(jm jetstream.Msg) (ackMeta, error) {
	if meta, ok := parseAckReply(jm.Reply()); ok {
		return meta, nil
	}
	md, err := jm.Metadata()
	if err != nil {
		return ackMeta{}, err
	}
	return ackMeta{stream: md.Stream, seq: md.Sequence.Stream, delivered: md.NumDelivered, stored: md.Timestamp}, nil
}

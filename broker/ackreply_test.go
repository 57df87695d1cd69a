package broker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func TestParseAckReply(t *testing.T) {
	for _, tc := range []struct {
		reply string
		want  ackMeta
		ok    bool
	}{
		{"$JS.ACK.ORDERS.korelay.3.42.40.1700000000000000001.7", ackMeta{"ORDERS", 42, 3, time.Unix(0, 1700000000000000001)}, true},
		{"$JS.ACK.hub.ACCHASH.ORDERS.korelay.1.5.5.1700000000000000000.0.tok", ackMeta{"ORDERS", 5, 1, time.Unix(0, 1700000000000000000)}, true},
		{"$JS.ACK._.ACCHASH.ORDERS.korelay.2.6.6.1700000000000000000.0", ackMeta{"ORDERS", 6, 2, time.Unix(0, 1700000000000000000)}, true},
		{"$JS.ACK.hub.ACCHASH.ORDERS.korelay.1.5.5.17.0.tok.more", ackMeta{"ORDERS", 5, 1, time.Unix(0, 17)}, true},
		{"$JS.ACK.ORDERS.korelay.x.42.40.1700.7", ackMeta{"ORDERS", 42, 0, time.Unix(0, 1700)}, true},
		{"$JS.ACK.ORDERS.korelay.3.42.40.1700", ackMeta{}, false},
		{"$JS.ACK.a.b.ORDERS.korelay.3.42.40.1700", ackMeta{}, false},
		{"_INBOX.abc.def", ackMeta{}, false},
		{"", ackMeta{}, false},
	} {
		got, ok := parseAckReply(tc.reply)
		if ok != tc.ok || got.stream != tc.want.stream || got.seq != tc.want.seq || got.delivered != tc.want.delivered ||
			!got.stored.Equal(tc.want.stored) {
			t.Errorf("parseAckReply(%q) = %+v, %v; want %+v, %v", tc.reply, got, ok, tc.want, tc.ok)
		}
	}
}

// parseAckReply reads real deliveries as jetstream.Msg's Metadata does,
// redeliveries included.
func TestParseAckReplyAgreesWithMetadata(t *testing.T) {
	s := startServer(t)
	nc := connect(t, s)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "Orders_EU", Subjects: []string{"orders.>"}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := js.Publish(ctx, "orders.eu", []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	c, err := st.CreateConsumer(ctx, jetstream.ConsumerConfig{Durable: "k", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatal(err)
	}
	for round := range 2 { // the second round reads redeliveries
		batch, err := c.Fetch(3, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			meta, err := m.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			got, ok := parseAckReply(m.Reply())
			if !ok || got.stream != meta.Stream || got.seq != meta.Sequence.Stream || got.delivered != meta.NumDelivered ||
				!got.stored.Equal(meta.Timestamp) {
				t.Errorf("round %d: parseAckReply(%q) = %+v, %v; Metadata: %+v", round, m.Reply(), got, ok, meta)
			}
			if round == 0 {
				_ = m.Nak()
			} else {
				_ = m.Ack()
			}
		}
		if n != 3 {
			t.Fatalf("round %d: %d messages, want 3", round, n)
		}
	}
}

// FuzzParseAckReply checks parseAckReply against a plain reading of the
// reply subject's tokens.
func FuzzParseAckReply(f *testing.F) {
	for _, s := range []string{
		"$JS.ACK.ORDERS.korelay.3.42.40.1700000000000000001.7",
		"$JS.ACK.hub.ACCHASH.ORDERS.korelay.1.5.5.1700000000000000000.0.tok",
		"$JS.ACK.ORDERS.korelay.3.42.40.1700", "$JS.ACK....", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reply string) {
		got, ok := parseAckReply(reply)
		tok := strings.Split(reply, ".")
		valid := strings.HasPrefix(reply, "$JS.ACK.") && (len(tok) == ackTokensV1 || len(tok) >= ackTokensV2Min)
		if ok != valid {
			t.Fatalf("parseAckReply(%q) ok = %v, want %v", reply, ok, valid)
		}
		if !ok {
			return
		}
		if len(tok) > ackTokensV1 {
			tok = tok[2:]
		}
		want := ackMeta{stream: tok[2], delivered: ackNum(tok[4]), seq: ackNum(tok[5]), stored: time.Unix(0, int64(ackNum(tok[7])))}
		if got != want {
			t.Fatalf("parseAckReply(%q) = %+v, want %+v", reply, got, want)
		}
	})
}

// Reading a delivery's reply subject allocates nothing, and its event id
// one string: every delivery does both.
func TestDeliveryReadingAllocations(t *testing.T) {
	reply := "$JS.ACK.KORELAY.korelay.1.123456.123456.1700000000000000000.0"
	var meta ackMeta
	if n := testing.AllocsPerRun(100, func() { meta, _ = parseAckReply(reply) }); n != 0 {
		t.Errorf("parseAckReply allocates %.1f times, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { _ = eventIDOf(meta.stream, meta.seq) }); n != 1 {
		t.Errorf("eventIDOf allocates %.1f times, want 1", n)
	}
}

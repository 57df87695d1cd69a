package broker

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// received is how many messages sub holds once the server has handled
// everything nc sent before (a PING/PONG round trip).
func received(t *testing.T, nc *nats.Conn, sub *nats.Subscription) int {
	t.Helper()
	if err := nc.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	n, _, err := sub.Pending()
	if err != nil {
		t.Fatalf("pending: %v", err)
	}
	return n
}

func TestOutboxHoldsWritesUntilFlushOrBatch(t *testing.T) {
	nc := connect(t, startServer(t))
	sub, err := nc.SubscribeSync("out.>")
	if err != nil {
		t.Fatal(err)
	}
	o := newOutbox(nc, time.Hour) // only a flush or a full batch sends
	write := func(i int) { o.add(outgoing{subject: fmt.Sprintf("out.%d", i), reply: "r", data: []byte("v")}) }

	for i := range 3 {
		write(i)
	}
	if n := received(t, nc, sub); n != 0 {
		t.Fatalf("%d writes sent before the linger ended, want 0", n)
	}
	o.flush()
	if n := received(t, nc, sub); n != 3 {
		t.Fatalf("after flush: %d writes sent, want 3", n)
	}
	for i := range 3 { // in the order added
		m, err := sub.NextMsg(time.Second)
		if err != nil || m.Subject != fmt.Sprintf("out.%d", i) {
			t.Fatalf("write %d: %v %v", i, m, err)
		}
	}

	for i := range outboxBatch {
		write(i)
	}
	if n := received(t, nc, sub); n != outboxBatch {
		t.Fatalf("a full batch: %d writes sent, want %d at once", n, outboxBatch)
	}
	drain(t, sub, outboxBatch)
}

func drain(t *testing.T, sub *nats.Subscription, n int) {
	t.Helper()
	for range n {
		if _, err := sub.NextMsg(time.Second); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOutboxSoonSendsBeforeTheLinger: once asked (soon), queued writes go
// out long before a linger of an hour, together with those added in the
// meantime; asking with nothing queued sends nothing later.
func TestOutboxSoonSendsBeforeTheLinger(t *testing.T) {
	nc := connect(t, startServer(t))
	sub, err := nc.SubscribeSync("out.>")
	if err != nil {
		t.Fatal(err)
	}
	o := newOutbox(nc, time.Hour)
	o.soon() // nothing queued: nothing to hurry
	o.add(outgoing{subject: "out.1", reply: "r", data: []byte("v")})
	if n := received(t, nc, sub); n != 0 {
		t.Fatalf("%d writes sent before anyone asked, want 0", n)
	}
	o.soon()
	o.add(outgoing{subject: "out.2", reply: "r", data: []byte("v")})
	for i := 1; i <= 2; i++ {
		m, err := sub.NextMsg(5 * time.Second)
		if err != nil || m.Subject != fmt.Sprintf("out.%d", i) {
			t.Fatalf("write %d after soon: %v %v", i, m, err)
		}
	}
}

// TestOutboxSendsAfterLinger: with nothing else to wake it, a queued write
// goes out once the linger has passed.
func TestOutboxSendsAfterLinger(t *testing.T) {
	nc := connect(t, startServer(t))
	sub, err := nc.SubscribeSync("out.>")
	if err != nil {
		t.Fatal(err)
	}
	o := newOutbox(nc, 5*time.Millisecond)
	o.add(outgoing{subject: "out.1", reply: "r", data: []byte("v")})
	if _, err := sub.NextMsg(5 * time.Second); err != nil {
		t.Fatalf("the write never went out: %v", err)
	}
}

// newTestPubAcks connects to a fresh server and returns the connection,
// an outbox lingering for linger, and ledger writes sent through it.
func newTestPubAcks(t *testing.T, linger time.Duration) (*nats.Conn, *outbox, *pubAcks) {
	t.Helper()
	nc := connect(t, startServer(t))
	out := newOutbox(nc, linger)
	p, err := newPubAcks(nc, out)
	if err != nil {
		t.Fatal(err)
	}
	return nc, out, p
}

// TestLedgerWriteFailsWhenItCannotBePublished: a ledger write the outbox
// cannot publish fails Record with the cause, rather than waiting out the
// caller's deadline for an acknowledgement that cannot come.
func TestLedgerWriteFailsWhenItCannotBePublished(t *testing.T) {
	nc, _, p := newTestPubAcks(t, time.Millisecond)
	nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := p.publishAll(ctx, []string{"$KV.L.a", "$KV.L.b"}, []byte("1"))
	if !errors.Is(err, nats.ErrConnectionClosed) {
		t.Fatalf("publishAll on a closed connection: %v, want ErrConnectionClosed", err)
	}
}

// TestLedgerWriteSentAgainWhenUnanswered: a write whose acknowledgement
// never comes (its stream leader died with it) is sent again, and Record
// succeeds once the second copy is stored, instead of failing at the
// deadline.
func TestLedgerWriteSentAgainWhenUnanswered(t *testing.T) {
	nc, _, p := newTestPubAcks(t, time.Millisecond)
	p.resendAfter = 20 * time.Millisecond
	copies := map[string]int{}
	stored := make(chan string, 8)
	_, err := nc.Subscribe("$KV.L.>", func(m *nats.Msg) {
		copies[m.Subject]++
		if copies[m.Subject] == 1 && m.Subject == "$KV.L.b" {
			return // lost with the leader: no acknowledgement
		}
		stored <- m.Subject
		_ = m.Respond([]byte(`{"stream":"KV_L","seq":1}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.publishAll(ctx, []string{"$KV.L.a", "$KV.L.b"}, []byte("1")); err != nil {
		t.Fatalf("publishAll with one write lost once: %v", err)
	}
	var got []string
	for len(stored) > 0 {
		got = append(got, <-stored)
	}
	if len(got) != 2 || got[0] != "$KV.L.a" || got[1] != "$KV.L.b" {
		t.Errorf("stored %v, want a once, then b's second copy", got)
	}
}

// TestAsyncWriteGivesUpAtItsDeadline: a write never acknowledged ends its
// batch with context.DeadlineExceeded once, after being sent again while
// it waited.
func TestAsyncWriteGivesUpAtItsDeadline(t *testing.T) {
	nc, _, p := newTestPubAcks(t, time.Millisecond)
	p.resendAfter = 20 * time.Millisecond
	sub, err := nc.SubscribeSync("$KV.L.>") // receives, never answers
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	p.publishAsync([]string{"$KV.L.a"}, []byte("1"), 200*time.Millisecond, func(err error) { done <- err })
	if err := waitErr(t, done, "an unanswered write never gave up"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("an unanswered write ended with %v, want context.DeadlineExceeded", err)
	}
	if n := received(t, nc, sub); n < 2 {
		t.Errorf("the unanswered write was sent %d times, want it sent again while it waited", n)
	}
	noSecond(t, done)
}

// TestFailedWriteFinishesOffTheFlush: a write that cannot be published
// finishes its batch on a goroutine of its own, so done may queue more
// writes (an acknowledgement, say) without waiting for the flush it
// failed in.
func TestFailedWriteFinishesOffTheFlush(t *testing.T) {
	nc, out, p := newTestPubAcks(t, time.Hour)
	nc.Close()
	done := make(chan error, 1)
	p.publishAsync([]string{"$KV.L.a"}, []byte("1"), time.Minute, func(err error) {
		for range outboxBatch { // a full batch flushes at once
			out.add(outgoing{subject: "x", reply: "r", data: []byte("v"), batch: &ackBatch{owner: p}})
		}
		done <- err
	})
	flushed := make(chan struct{})
	go func() { out.flush(); close(flushed) }()
	err := waitErr(t, done, "a failed write never finished its batch: done waited for the flush it failed in")
	if !errors.Is(err, nats.ErrConnectionClosed) {
		t.Fatalf("a write on a closed connection ended with %v, want ErrConnectionClosed", err)
	}
	<-flushed
}

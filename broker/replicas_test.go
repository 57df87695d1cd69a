package broker

import (
	"context"
	"testing"
	"time"
)

func TestWaitingPullsSeesAnotherReplica(t *testing.T) {
	srv := startServer(t)
	first := newBroker(t, connect(t, srv), Options{})
	second := newBroker(t, connect(t, srv), Options{})
	ctx := context.Background()
	if n, err := second.WaitingPulls(ctx); err != nil || n != 0 {
		t.Fatalf("alone: WaitingPulls = %d, %v; want 0", n, err)
	}
	h, _ := collect(ack)
	consume(t, first, h)
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := second.WaitingPulls(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a consuming replica left no waiting pull request")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

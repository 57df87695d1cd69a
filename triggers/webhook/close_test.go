package webhook

import (
	"net/http"
	"testing"
	"time"
)

func TestClose(t *testing.T) {
	f := newFixture(t)
	f.h.Close()
	f.h.Close() // idempotent
	rec := f.do(post("/hooks/open", `{}`))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status after Close = %d, want 503", rec.Code)
	}
	if decodeAnswer(t, rec)["error"] == "" || rec.Header().Get("Retry-After") == "" {
		t.Errorf("503 answer lacks error text or Retry-After: %v %s", rec.Header(), rec.Body)
	}
	if len(f.pub.published()) != 0 {
		t.Error("published after Close")
	}
}

// Close waits for a request that is already storing its event, and that
// request still gets its 202.
func TestCloseWaitsForInFlight(t *testing.T) {
	f := newFixture(t)
	f.pub.block = make(chan struct{})
	f.pub.entered = make(chan struct{}, 1)
	codes := make(chan int, 1)
	go func() { codes <- f.do(post("/hooks/open", `{}`)).Code }()
	<-f.pub.entered

	closed := make(chan struct{})
	go func() { f.h.Close(); close(closed) }()
	for !f.h.isClosed() {
		time.Sleep(time.Millisecond)
	}
	select {
	case <-closed:
		t.Fatal("Close returned while a publish was in flight")
	case <-time.After(50 * time.Millisecond):
	}
	if rec := f.do(post("/hooks/open", `{}`)); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("new request while closing: status = %d, want 503", rec.Code)
	}
	close(f.pub.block)
	<-closed
	if code := <-codes; code != http.StatusAccepted {
		t.Errorf("in-flight request: status = %d, want 202", code)
	}
}

func (h *Handler) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

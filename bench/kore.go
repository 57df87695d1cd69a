package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/kore/koretest"
)

// maxSamples bounds the bad texts a recorder keeps for the report.
const maxSamples = 5

// recorder sits in front of the fake Kore: it notes when each call arrived,
// passes it on, and checks every accepted notify call against the events
// that were published.
type recorder struct {
	fake  *koretest.Server
	n     int
	clock *clock

	calls      atomic.Int64 // every request
	rejected   atomic.Int64 // answered with a non-2xx status
	notify     atomic.Int64 // accepted notify calls
	delivered  atomic.Int64 // matching events notified at least once
	duplicates atomic.Int64 // notifications beyond the first for an event
	unexpected atomic.Int64 // notifications for non-matching events
	mismatches atomic.Int64 // texts whose id, name or identity is not what was sent
	lastCall   atomic.Int64 // clock time of the last accepted notify call

	seen []atomic.Int32 // notifications per event

	mu        sync.Mutex
	latencies []time.Duration // publish → Kore call, first notification of each event
	samples   []string        // bad texts, for the report
}

// newRecorder wraps fake for n events published on clock c.
func newRecorder(fake *koretest.Server, n int, c *clock) *recorder {
	return &recorder{fake: fake, n: n, clock: c, seen: make([]atomic.Int32, n),
		latencies: make([]time.Duration, 0, n/2)}
}

// ServeHTTP records the arrival time, lets the fake answer, and checks the call.
func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := r.clock.now()
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	r.fake.ServeHTTP(sw, req)
	r.calls.Add(1)
	if sw.status < 200 || sw.status > 299 {
		r.rejected.Add(1)
		return
	}
	if req.Method != http.MethodPost || len(body) == 0 {
		return // status polls and the like
	}
	var nr kore.NotifyRequest
	if json.Unmarshal(body, &nr) != nil || nr.Message.Val == "" {
		return // not a notify call
	}
	r.notify.Add(1)
	r.lastCall.Store(int64(at))
	for _, identity := range nr.Identities {
		r.observe(nr.Message.Val, identity, at)
	}
}

// observe checks one notification (one identity of a notify call).
func (r *recorder) observe(text, identity string, at time.Duration) {
	i, ok := parseText(text, identity, r.n)
	if !ok {
		r.mismatches.Add(1)
		r.sample(identity + ": " + text)
		if i < 0 {
			return
		}
	}
	if !matches(i) {
		r.unexpected.Add(1)
		r.sample("non-matching event notified: " + text)
		return
	}
	if r.seen[i].Add(1) > 1 {
		r.duplicates.Add(1)
		return
	}
	lat := at - r.clock.published(i)
	r.mu.Lock()
	r.latencies = append(r.latencies, lat)
	r.mu.Unlock()
	r.delivered.Add(1)
}

// sample keeps the first few bad texts.
func (r *recorder) sample(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.samples) < maxSamples {
		r.samples = append(r.samples, s)
	}
}

// statusWriter remembers the status the fake answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// clock measures times since a run's start on the monotonic clock, and
// holds the publish time of every event.
type clock struct {
	start time.Time
	pub   []atomic.Int64
}

func newClock(n int) *clock { return &clock{start: time.Now(), pub: make([]atomic.Int64, n)} }

// now is the time since the start.
func (c *clock) now() time.Duration { return time.Since(c.start) }

// markPublished records that event i is being published now.
func (c *clock) markPublished(i int) time.Duration {
	t := c.now()
	c.pub[i].Store(int64(t))
	return t
}

// published is when event i was published.
func (c *clock) published(i int) time.Duration { return time.Duration(c.pub[i].Load()) }

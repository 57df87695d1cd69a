package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/kore/koretest"
)

// fullKore puts kore/koretest, which checks every request against Kore's
// documented contract (JWT included), behind a recorder that notes when
// each call arrived. It is slow (about 175 µs of CPU a call): for
// correctness runs, not for speed.
type fullKore struct {
	fake  *koretest.Server
	clock *clock
	stats *callStats
	check checker
}

func newFullKore(c *clock, stats *callStats, chk checker) *fullKore {
	return &fullKore{fake: koretest.NewServer(koretest.WithLimits(huge, huge)), clock: c, stats: stats, check: chk}
}

// ServeHTTP records the arrival time, lets the fake answer, and reports
// accepted notify calls.
func (f *fullKore) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := f.clock.now()
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	f.fake.ServeHTTP(sw, req)
	f.stats.calls.Add(1)
	if sw.status < 200 || sw.status > 299 {
		f.stats.reject(fmt.Sprintf("%s %s: %d", req.Method, req.URL.Path, sw.status))
		return
	}
	if req.Method != http.MethodPost || len(body) == 0 {
		return // status polls and the like
	}
	var nr kore.NotifyRequest
	if json.Unmarshal(body, &nr) != nil || nr.Message.Val == "" {
		return // not a notify call
	}
	f.stats.accepted(at)
	f.check.notified(nr.Message.Val, nr.Identities, at)
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

package main

import (
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// huge disables the full fake Kore's rate limits in practice.
const huge = 1 << 40

// callStats counts what reached the fake Kore.
type callStats struct {
	calls    atomic.Int64 // every request
	rejected atomic.Int64 // answered with a non-2xx status
	notify   atomic.Int64 // accepted notify calls
	lastCall atomic.Int64 // clock time of the latest accepted notify call
	why      samples      // why the first rejected calls were rejected
}

// accepted counts an accepted notify call that arrived at at.
func (s *callStats) accepted(at time.Duration) {
	s.notify.Add(1)
	for {
		last := s.lastCall.Load()
		if int64(at) <= last || s.lastCall.CompareAndSwap(last, int64(at)) {
			return
		}
	}
}

// reject counts a rejected call and keeps a few reasons.
func (s *callStats) reject(why string) {
	s.rejected.Add(1)
	s.why.add(why)
}

// fakeKore is the harness's Kore: the lean handler or koretest, served on
// 127.0.0.1.
type fakeKore struct {
	URL                           string
	BotID, ClientID, ClientSecret string
	stats                         *callStats
	srv                           *http.Server
	closeFake                     func()
}

// startFakeKore serves the kind ("lean" or "full") of fake Kore, telling
// chk about every accepted notify call.
func startFakeKore(kind string, c *clock, chk checker) (*fakeKore, error) {
	k := &fakeKore{stats: &callStats{}, closeFake: func() {}}
	var h http.Handler
	if kind == "full" {
		full := newFullKore(c, k.stats, chk)
		k.BotID, k.ClientID, k.ClientSecret = full.fake.BotID, full.fake.ClientID, full.fake.ClientSecret
		k.closeFake = full.fake.Close
		h = full
	} else {
		k.BotID, k.ClientID, k.ClientSecret = "st-bench", "cs-bench", rand.Text()
		h = newLeanKore(k.BotID, c, k.stats, chk)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		k.closeFake()
		return nil, fmt.Errorf("fake kore: %w", err)
	}
	k.URL = "http://" + ln.Addr().String()
	k.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = k.srv.Serve(ln) }()
	return k, nil
}

// close stops the server and the fake behind it.
func (k *fakeKore) close() {
	k.srv.Close()
	k.closeFake()
}

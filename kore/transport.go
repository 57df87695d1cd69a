package kore

import (
	"net/http"
	"time"
)

// MaxIdleConnsPerHost is how many idle connections to Kore NewTransport
// keeps: more than the calls korelay makes at once, so every call reuses a
// TCP and TLS connection instead of dialing a new one.
const MaxIdleConnsPerHost = 64

// NewTransport returns an HTTP transport suited to Kore: Go's default
// transport with enough idle connections per host for many concurrent
// calls, and without asking for compressed answers: Kore's answers are a
// few hundred bytes of JSON, which gzip does not shrink by what it costs,
// and the header the transport adds for it is a fresh map per request. A
// Client built without WithHTTPClient, or with a client whose Transport
// is nil, uses one.
func NewTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 2 * MaxIdleConnsPerHost
	t.MaxIdleConnsPerHost = MaxIdleConnsPerHost
	t.IdleConnTimeout = 90 * time.Second
	t.DisableCompression = true
	// Run the transport's one-time protocol set-up now (any call does it
	// first), not under the first burst of notifications.
	t.CloseIdleConnections()
	return t
}

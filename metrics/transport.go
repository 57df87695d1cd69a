package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Kore endpoint labels.
const (
	EndpointNotify       = "notify"
	EndpointNotifyStatus = "notify_status"
	EndpointDevices      = "devices"
	EndpointOther        = "other"
)

// KoreEndpoint names the Kore endpoint a request path belongs to.
func KoreEndpoint(path string) string {
	switch {
	case strings.Contains(path, "/notify/status/"):
		return EndpointNotifyStatus
	case strings.HasSuffix(path, "/notify"):
		return EndpointNotify
	case strings.Contains(path, "sdknotifications") || strings.HasSuffix(path, "/subscribeddevices"):
		return EndpointDevices
	}
	return EndpointOther
}

// InstrumentKore wraps an HTTP transport so every request to Kore is counted
// in KoreRequests and timed in KoreRequestDuration. Network failures count
// with code "error".
func (m *Metrics) InstrumentKore(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		endpoint := KoreEndpoint(req.URL.Path)
		start := time.Now()
		resp, err := next.RoundTrip(req)
		m.KoreRequestDuration.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
		code := "error"
		if err == nil {
			code = strconv.Itoa(resp.StatusCode)
		}
		m.KoreRequests.WithLabelValues(endpoint, code).Inc()
		return resp, err
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

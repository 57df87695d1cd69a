package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
	var children sync.Map // requestLabels → *requestMetrics
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		endpoint := KoreEndpoint(req.URL.Path)
		start := time.Now()
		resp, err := next.RoundTrip(req)
		code := 0 // a network error
		if err == nil {
			code = resp.StatusCode
		}
		key := requestLabels{endpoint, code}
		rm, ok := children.Load(key)
		if !ok {
			rm, _ = children.LoadOrStore(key, m.newRequestMetrics(endpoint, code))
		}
		rm.(*requestMetrics).observe(time.Since(start))
		return resp, err
	})
}

// requestLabels identify the children of the Kore request metrics.
type requestLabels struct {
	endpoint string
	code     int
}

// requestMetrics are the children of the Kore request metrics for one
// endpoint and status, looked up once rather than on every call.
type requestMetrics struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

func (m *Metrics) newRequestMetrics(endpoint string, code int) *requestMetrics {
	label := "error"
	if code != 0 {
		label = strconv.Itoa(code)
	}
	return &requestMetrics{
		count:    m.KoreRequests.WithLabelValues(endpoint, label),
		duration: m.KoreRequestDuration.WithLabelValues(endpoint),
	}
}

func (r *requestMetrics) observe(d time.Duration) {
	r.duration.Observe(d.Seconds())
	r.count.Inc()
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

package metrics

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func TestKoreEndpoint(t *testing.T) {
	for path, want := range map[string]string{
		"/api/public/bot/st-1/notify":                         EndpointNotify,
		"/api/public/bot/st-1/notify/status/ds-9":             EndpointNotifyStatus,
		"/api/public/streams/st-1/sdknotifications/subscribe": EndpointDevices,
		"/api/public/streams/st-1/subscribeddevices":          EndpointDevices,
		"/api/other": EndpointOther,
	} {
		if got := KoreEndpoint(path); got != want {
			t.Errorf("KoreEndpoint(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestInstrumentKoreCountsByEndpointAndCode(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	client := &http.Client{Transport: m.InstrumentKore(nil)}
	for range 2 {
		resp, err := client.Post(srv.URL+"/api/public/bot/st-1/notify", "application/json", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	var c dto.Metric
	if err := m.KoreRequests.WithLabelValues(EndpointNotify, "429").Write(&c); err != nil {
		t.Fatal(err)
	}
	if got := c.GetCounter().GetValue(); got != 2 {
		t.Fatalf(`korelay_kore_requests_total{endpoint="notify",code="429"} = %v, want 2`, got)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		names[f.GetName()] = true
	}
	for _, want := range []string{"korelay_kore_requests_total", "korelay_kore_request_duration_seconds", "korelay_config_last_reload_successful"} {
		if !names[want] {
			t.Errorf("%s not registered", want)
		}
	}
}

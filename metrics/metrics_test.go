package metrics

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
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

func TestBudgetGaugesExportTheReaderAtScrape(t *testing.T) {
	for _, tc := range []struct {
		name    string
		reading *BudgetReading // nil: no reader
		want    map[string]float64
	}{
		{name: "no budget", want: map[string]float64{}},
		{name: "both windows limited", reading: &BudgetReading{Minute: 3, Hour: 40, PerMinute: 600, PerHour: 18000},
			want: map[string]float64{
				"korelay_budget_used/minute": 3, "korelay_budget_used/hour": 40,
				"korelay_budget_limit/minute": 600, "korelay_budget_limit/hour": 18000,
			}},
		{name: "hour unlimited", reading: &BudgetReading{Minute: 1, Hour: 1, PerMinute: 60},
			want: map[string]float64{
				"korelay_budget_used/minute": 1, "korelay_budget_used/hour": 1, "korelay_budget_limit/minute": 60,
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			m := New(reg)
			if tc.reading != nil {
				r := *tc.reading
				m.Budget.Read(func() BudgetReading { return r })
			}
			if got := budgetSeries(t, reg); !maps.Equal(got, tc.want) {
				t.Errorf("exported %v, want %v", got, tc.want)
			}
			m.Budget.Read(nil)
			if got := budgetSeries(t, reg); len(got) != 0 {
				t.Errorf("after Read(nil) exported %v, want nothing", got)
			}
		})
	}
}

// budgetSeries gathers reg's budget gauges as "name/window" → value.
func budgetSeries(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		if !strings.HasPrefix(f.GetName(), "korelay_budget_") || f.GetName() == "korelay_budget_wait_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "window" {
					got[f.GetName()+"/"+l.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	return got
}

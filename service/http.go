package service

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes serves /hooks/NAME, /metrics, /healthz and /readyz.
func (s *Service) routes(hooks http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/hooks/", hooks)
	mux.Handle("/metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", s.readyz)
	return mux
}

// readyz answers 200 when NATS is connected and rules are loaded.
func (s *Service) readyz(w http.ResponseWriter, _ *http.Request) {
	if !s.ready.Load() || s.Rules() == nil || !s.natsConnected() {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

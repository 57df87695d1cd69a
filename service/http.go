package service

import (
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/korelay/korelay/web"
)

// routes serves /hooks/NAME, /metrics, /healthz and /readyz, and the
// status page at / (web). Webhooks, /metrics and the probes never need the
// admin token.
func (s *Service) routes(rt *runtime) (http.Handler, error) {
	page, err := web.New(web.Options{
		Source:     &statusSource{s: s, rt: rt, started: time.Now()},
		AdminToken: s.cfg.HTTP.AdminToken.Value(),
		Loopback:   loopback(s.cfg.HTTP.Listen),
		Logger:     s.log,
	})
	if err != nil {
		return nil, err
	}
	if s.cfg.HTTP.AdminToken == "" && !loopback(s.cfg.HTTP.Listen) {
		s.log.Warn("the status page is closed: http.listen is not a loopback address and http.admin_token is not set",
			"http", s.cfg.HTTP.Listen)
	}
	mux := http.NewServeMux()
	mux.Handle("/", page)
	mux.Handle("/hooks/", rt.hooks)
	mux.Handle("/metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", s.readyz)
	return mux, nil
}

// readyz answers 200 when NATS is connected and rules are loaded.
func (s *Service) readyz(w http.ResponseWriter, _ *http.Request) {
	if !s.ready.Load() || s.Rules() == nil || !s.natsConnected() {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

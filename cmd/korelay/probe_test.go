package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// `korelay probe URL` exits 0 on a 2xx answer and 1 on anything else,
// saying why on stderr in one line.
func TestProbe(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			w.Write([]byte("ok\n"))
		case "/empty":
			w.WriteHeader(http.StatusNoContent)
		case "/readyz":
			http.Error(w, "not ready", http.StatusServiceUnavailable)
		case "/moved":
			http.Redirect(w, r, "/healthz", http.StatusFound)
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-release:
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"2xx", []string{srv.URL + "/healthz"}, 0, ""},
		{"204", []string{srv.URL + "/empty"}, 0, ""},
		{"the config flag every command takes", []string{"-config", "korelay.yaml", srv.URL + "/healthz"}, 0, ""},
		{"5xx", []string{srv.URL + "/readyz"}, 1, "answered 503 Service Unavailable"},
		{"404", []string{srv.URL + "/nope"}, 1, "answered 404 Not Found"},
		{"a redirect is not followed", []string{srv.URL + "/moved"}, 1, "answered 302 Found"},
		{"nothing listens", []string{closed.URL + "/healthz"}, 1, "connection refused"},
		{"no answer in time", []string{"-timeout", "50ms", srv.URL + "/slow"}, 1, "no answer within 50ms"},
		{"no URL", nil, 2, "want one URL"},
		{"two URLs", []string{srv.URL, srv.URL}, 2, "want one URL"},
		{"not http", []string{"ftp://127.0.0.1/healthz"}, 2, "want an http:// or https:// URL"},
		{"no host", []string{"http:///healthz"}, 2, "want an http:// or https:// URL"},
		{"zero timeout", []string{"-timeout", "0s", srv.URL}, 2, "must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := korelay(t, append([]string{"probe"}, tt.args...)...)
			if code != tt.wantCode || stdout != "" || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and stderr containing %q",
					code, stdout, stderr, tt.wantCode, tt.wantStderr)
			}
			if tt.wantCode == 1 && strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("stderr is more than one line: %q", stderr)
			}
		})
	}
}

func TestProbeHelp(t *testing.T) {
	for _, args := range [][]string{{"help", "probe"}, {"probe", "-h"}} {
		code, stdout, _ := korelay(t, args...)
		if code != 0 || !strings.HasPrefix(stdout, "usage: korelay probe") || !strings.Contains(stdout, "-timeout") {
			t.Errorf("%v: exit %d, stdout %q", args, code, stdout)
		}
	}
}

package kore_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/kore/koretest"
)

// errorCase is one way a notify call fails.
type errorCase struct {
	name    string
	failure *koretest.Failure // injected into koretest
	plain   string            // or: a plain server answers 200 with this body
	opts    []kore.Option

	wantStatus        int // 0: not an *APIError
	wantCode, wantMsg string
	wantIs            error
	retryable         bool
	minWait, maxWait  time.Duration // Retry-After bounds; zero: none
}

func errorCases() []errorCase {
	httpDate := time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
	return []errorCase{
		{name: "401 bad signature", opts: []kore.Option{kore.WithCredentials(koretest.DefaultClientID, "wrong-secret-xyz")},
			wantStatus: 401, wantCode: "4002", wantMsg: "signature does not match"},
		{name: "400 msg spelling", failure: &koretest.Failure{Status: 400, Body: `{"errors":[{"msg":"Channel not configured","code":400}]}`},
			wantStatus: 400, wantCode: "400", wantMsg: "Channel not configured"},
		{name: "400 message spelling", failure: &koretest.Failure{Status: 400, Body: `{"errors":[{"message":"Invalid identities","code":"InvalidRequest"}]}`},
			wantStatus: 400, wantCode: "InvalidRequest", wantMsg: "Invalid identities"},
		{name: "400 with the rate-limit text", failure: &koretest.Failure{Status: 400, Body: `{"errors":[{"msg":"Rate limit for this API has been reached, please try after some time"}]}`},
			wantStatus: 400, wantMsg: "Rate limit", retryable: true},
		{name: "429 Retry-After seconds", failure: &koretest.Failure{Status: 429, RetryAfter: "7"},
			wantStatus: 429, wantCode: "429", wantMsg: "Rate limit for this API has been reached", retryable: true, minWait: 7 * time.Second, maxWait: 7 * time.Second},
		{name: "429 Retry-After HTTP date", failure: &koretest.Failure{Status: 429, RetryAfter: httpDate},
			wantStatus: 429, wantCode: "429", retryable: true, minWait: 25 * time.Second, maxWait: 31 * time.Second},
		{name: "500", failure: &koretest.Failure{Status: 500},
			wantStatus: 500, wantCode: "500", wantMsg: "Internal Server Error", retryable: true},
		{name: "503 with a text body", failure: &koretest.Failure{Status: 503, Body: "upstream unavailable", RetryAfter: "1"},
			wantStatus: 503, retryable: true, minWait: time.Second, maxWait: time.Second},
		{name: "timeout", failure: &koretest.Failure{Delay: 10 * time.Second}, opts: []kore.Option{kore.WithTimeout(50 * time.Millisecond)},
			wantIs: context.DeadlineExceeded, wantMsg: "no answer within 50ms", retryable: true},
		{name: "2xx not JSON", plain: `<html>oops</html>`,
			wantIs: kore.ErrMalformedResponse, wantMsg: "expected a job object with _id and status"},
		{name: "2xx without _id", plain: `{"status":"IN_PROGRESS"}`,
			wantIs: kore.ErrMalformedResponse, wantMsg: "expected a job object with _id and status"},
		{name: "2xx JSON array", plain: `[]`,
			wantIs: kore.ErrMalformedResponse, wantMsg: "expected a job object"},
		{name: "2xx over 1 MiB", plain: `{"_id":"ds-1","status":"IN_PROGRESS","x":"` + strings.Repeat("a", 1<<20) + `"}`,
			wantIs: kore.ErrMalformedResponse, wantMsg: "at most 1 MiB"},
		{name: "2xx errors body", plain: `{"errors":[{"msg":"Rate limit for this API has been reached","code":429}]}`,
			wantStatus: 200, wantCode: "429", wantMsg: "Rate limit", retryable: true},
	}
}

func TestErrorClasses(t *testing.T) {
	var mu sync.Mutex
	var leaks []string // secrets and tokens no error may contain
	var errs []error
	for _, tt := range errorCases() {
		t.Run(tt.name, func(t *testing.T) {
			c, seen := clientFor(t, tt)
			_, err := c.Notify(t.Context(), textTo("a@x.io"))
			mu.Lock()
			leaks, errs = append(leaks, seen()...), append(errs, err)
			mu.Unlock()
			checkError(t, tt, err)
		})
	}
	if len(leaks) < 2*len(errorCases()) {
		t.Fatalf("collected only %d secrets and tokens", len(leaks))
	}
	for _, err := range errs {
		for _, leak := range leaks {
			if leak != "" && err != nil && strings.Contains(err.Error(), leak) {
				t.Errorf("error %q contains a secret or token", err)
			}
		}
	}
}

// clientFor returns a client for the case and a function listing the
// secrets and tokens it used.
func clientFor(t *testing.T, tt errorCase) (*kore.Client, func() []string) {
	if tt.plain != "" {
		var mu sync.Mutex
		leaks := []string{plainSecret}
		srv := newPlainServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			leaks = append(leaks, r.Header.Get("auth"))
			mu.Unlock()
			_, _ = w.Write([]byte(tt.plain))
		}))
		return plainClient(t, srv.URL, tt.opts...), func() []string { mu.Lock(); defer mu.Unlock(); return leaks }
	}
	srv := koretest.Start(t)
	if tt.failure != nil {
		srv.FailNext(1, *tt.failure)
	}
	return newClient(t, srv, tt.opts...), func() []string {
		leaks := []string{srv.ClientSecret, "wrong-secret-xyz"}
		for _, c := range srv.Calls() {
			leaks = append(leaks, c.Header.Get("auth"))
		}
		return leaks
	}
}

// checkError checks err against the case's expectations.
func checkError(t *testing.T, tt errorCase, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("Notify succeeded, want an error")
	}
	if tt.wantStatus != 0 {
		apiErr := asAPIError(t, err)
		if apiErr.StatusCode != tt.wantStatus || apiErr.Endpoint != kore.EndpointNotify || apiErr.Code != tt.wantCode {
			t.Errorf("APIError = %+v, want status %d code %q from notify", apiErr, tt.wantStatus, tt.wantCode)
		}
		if len(apiErr.Body) == 0 || len(apiErr.Body) > kore.MaxErrorBody {
			t.Errorf("APIError.Body has %d bytes", len(apiErr.Body))
		}
	}
	if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
		t.Errorf("error %v is not %v", err, tt.wantIs)
	}
	if !strings.Contains(err.Error(), tt.wantMsg) || !strings.Contains(err.Error(), "notify") {
		t.Errorf("error %q does not name the operation and say %q", err, tt.wantMsg)
	}
	if got := kore.IsRetryable(err); got != tt.retryable {
		t.Errorf("IsRetryable(%v) = %v, want %v", err, got, tt.retryable)
	}
	wait, ok := kore.RetryAfter(err)
	if ok != (tt.maxWait > 0) || wait < tt.minWait || wait > tt.maxWait {
		t.Errorf("RetryAfter = %v, %v; want within [%v, %v]", wait, ok, tt.minWait, tt.maxWait)
	}
}

func TestErrorBodyIsTruncated(t *testing.T) {
	srv := koretest.Start(t)
	srv.FailNext(1, koretest.Failure{Status: 502, Body: strings.Repeat("é", 5000)})
	_, err := newClient(t, srv).Notify(t.Context(), textTo("a@x.io"))
	apiErr := asAPIError(t, err)
	if n := len(apiErr.Body); n > kore.MaxErrorBody || n < kore.MaxErrorBody-1 || !strings.HasSuffix(apiErr.Body, "é") {
		t.Errorf("Body has %d bytes (ends %q), want about %d on a rune boundary", n, apiErr.Body[n-2:], kore.MaxErrorBody)
	}
}

func TestCallerCancellationIsNotRetryable(t *testing.T) {
	srv := koretest.Start(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := newClient(t, srv).Notify(ctx, textTo("a@x.io"))
	if !errors.Is(err, context.Canceled) || kore.IsRetryable(err) {
		t.Errorf("cancelled call: %v (retryable %v), want context.Canceled, not retryable", err, kore.IsRetryable(err))
	}
}

func TestNetworkErrorIsRetryable(t *testing.T) {
	srv := koretest.NewServer()
	c := newClient(t, srv)
	srv.Close()
	_, err := c.Notify(t.Context(), textTo("a@x.io"))
	if err == nil || !kore.IsRetryable(err) || !strings.Contains(err.Error(), "kore notify: send request") {
		t.Errorf("closed server: %v (retryable %v), want a retryable send error", err, kore.IsRetryable(err))
	}
}

func TestIsRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"invalid request", kore.ErrInvalidRequest, false},
		{"malformed", kore.ErrMalformedResponse, false},
		{"404", &kore.APIError{StatusCode: 404}, false},
		{"429", &kore.APIError{StatusCode: 429}, true},
		{"wrapped 502", errors.Join(errors.New("ctx"), &kore.APIError{StatusCode: 502}), true},
		{"rate-limit text", &kore.APIError{StatusCode: 400, Message: "Rate limit for this API has been reached"}, true},
		{"deadline", context.DeadlineExceeded, true},
		{"canceled", context.Canceled, false},
		{"other", errors.New("boom"), false},
	}
	for _, tt := range tests {
		if got := kore.IsRetryable(tt.err); got != tt.want {
			t.Errorf("%s: IsRetryable = %v, want %v", tt.name, got, tt.want)
		}
	}
}

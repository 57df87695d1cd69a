package kore_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/korelay/korelay/kore"
	"github.com/korelay/korelay/kore/koretest"
)

// newClient returns a client for srv with extra options.
func newClient(t *testing.T, srv *koretest.Server, opts ...kore.Option) *kore.Client {
	t.Helper()
	c, err := kore.New(append(srv.ClientOptions(), opts...)...)
	if err != nil {
		t.Fatalf("kore.New: %v", err)
	}
	return c
}

// jwtClaims verifies tok as an HS256 JWT signed with secret, independently
// of the package, and returns its header and claims.
func jwtClaims(t *testing.T, tok, secret string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3", len(parts))
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	want := base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(parts[2]), []byte(want)) {
		t.Fatalf("token signature does not verify with the client secret")
	}
	return decodeSegment(t, parts[0]), decodeSegment(t, parts[1])
}

// decodeSegment decodes one base64url JSON segment of a JWT.
func decodeSegment(t *testing.T, seg string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("segment is not base64url: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("segment is not a JSON object: %v", err)
	}
	return m
}

// decodeBody decodes a recorded body into a generic map.
func decodeBody(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", body, err)
	}
	return m
}

// jsonValue decodes a JSON literal written in a test, for comparisons.
func jsonValue(t *testing.T, s string) map[string]any {
	t.Helper()
	return decodeBody(t, []byte(s))
}

// assertEqual fails when got and want differ.
func assertEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %#v\n want %#v", what, got, want)
	}
}

// onlyCall returns the only call srv recorded.
func onlyCall(t *testing.T, srv *koretest.Server) koretest.Call {
	t.Helper()
	calls := srv.Calls()
	if len(calls) != 1 {
		t.Fatalf("server recorded %d calls, want 1: %+v", len(calls), calls)
	}
	return calls[0]
}

// Credentials of clients pointed at plain httptest servers.
const (
	plainClientID = "cs-plain"
	plainSecret   = "plain-secret-do-not-leak"
)

// newPlainServer starts an httptest server with h, closed with the test.
func newPlainServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// plainClient returns a client for a plain httptest server.
func plainClient(t *testing.T, baseURL string, opts ...kore.Option) *kore.Client {
	t.Helper()
	c, err := kore.New(append([]kore.Option{
		kore.WithBaseURL(baseURL), kore.WithBotID("st-plain"), kore.WithCredentials(plainClientID, plainSecret),
	}, opts...)...)
	if err != nil {
		t.Fatalf("kore.New: %v", err)
	}
	return c
}

// asAPIError returns the *kore.APIError in err or fails the test.
func asAPIError(t *testing.T, err error) *kore.APIError {
	t.Helper()
	var apiErr *kore.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v (%T) is not an *APIError", err, err)
	}
	return apiErr
}

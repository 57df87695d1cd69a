package kore

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func TestParseErrorBody(t *testing.T) {
	tests := []struct {
		name, body, code, msg string
		ok                    bool
	}{
		{"msg and numeric code", `{"errors":[{"msg":"Invalid token","code":4002}]}`, "4002", "Invalid token", true},
		{"message and string code", `{"errors":[{"message":"Bad request","code":"BadRequest"}]}`, "BadRequest", "Bad request", true},
		{"several errors", `{"errors":[{"msg":"a","code":1},{"message":"b","code":2}]}`, "1", "a; b", true},
		{"top-level message", `{"message":"Not found","code":404}`, "404", "Not found", true},
		{"string entries", `{"errors":["plain text"]}`, "", "plain text", true},
		{"float code", `{"errors":[{"msg":"x","code":4.5}]}`, "4.5", "x", true},
		{"control characters", `{"errors":[{"msg":"line1\nline2\u0000"}]}`, "", "line1 line2", true},
		{"empty", ``, "", "", false},
		{"html", `<html>502</html>`, "", "", false},
		{"other JSON", `{"status":"x"}`, "", "", false},
		{"wrong types", `{"errors":{"msg":1},"message":[1],"code":{}}`, "", "", false},
	}
	for _, tt := range tests {
		code, msg, ok := parseErrorBody([]byte(tt.body))
		if code != tt.code || msg != tt.msg || ok != tt.ok {
			t.Errorf("%s: got (%q, %q, %v), want (%q, %q, %v)", tt.name, code, msg, ok, tt.code, tt.msg, tt.ok)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-3", 0},
		{" 12 ", 12 * time.Second},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"99999999999999999", MaxRetryAfter},
		{now.Add(72 * time.Hour).Format(http.TimeFormat), MaxRetryAfter},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// FuzzParseErrorBody checks that any body parses without panicking into a
// bounded, single-line message. Seeds live in testdata/fuzz.
func FuzzParseErrorBody(f *testing.F) {
	f.Add([]byte(`{"errors":[{"msg":"Invalid token","code":4002}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		code, msg, ok := parseErrorBody(body)
		if !ok && (code != "" || msg != "") {
			t.Fatalf("ok false with code %q msg %q", code, msg)
		}
		for _, s := range []string{code, msg} {
			if !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
				t.Fatalf("%q is not a clean single line", s)
			}
		}
		if len(msg) > maxErrorMessage || len(code) > 64 {
			t.Fatalf("code %d or message %d bytes are over the bound", len(code), len(msg))
		}
		e := newAPIError(EndpointNotify, 500, nil, body, time.Time{})
		if len(e.Body) > MaxErrorBody || strings.Contains(e.Error(), "\n") {
			t.Fatalf("APIError body %d bytes, error %q", len(e.Body), e.Error())
		}
	})
}

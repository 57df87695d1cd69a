package kore

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds on what an APIError keeps of an answer.
const (
	// MaxErrorBody is the most bytes of an error answer kept in APIError.Body.
	MaxErrorBody = 4 << 10
	// MaxRetryAfter caps APIError.RetryAfter, whatever the server asks.
	MaxRetryAfter = 24 * time.Hour
	// maxErrorMessage bounds APIError.Message.
	maxErrorMessage = 512
)

// newAPIError builds the APIError for an error answer.
func newAPIError(endpoint string, status int, h http.Header, body []byte, now time.Time) *APIError {
	code, msg, _ := parseErrorBody(body)
	return &APIError{
		Endpoint:   endpoint,
		StatusCode: status,
		Code:       code,
		Message:    msg,
		RetryAfter: parseRetryAfter(h.Get("Retry-After"), now),
		Body:       truncateUTF8(string(body), MaxErrorBody),
	}
}

// errorOnlyAnswer returns an APIError when a 2xx body is nothing but Kore's
// errors list: Kore does not document the status of every error (notably the
// rate limit), so the body decides.
func errorOnlyAnswer(endpoint string, status int, body []byte) *APIError {
	if !bytes.Contains(body, []byte(`"errors"`)) {
		return nil
	}
	var probe struct {
		Errors []json.RawMessage `json:"errors"`
	}
	if json.Unmarshal(body, &probe) != nil || len(probe.Errors) == 0 {
		return nil
	}
	return newAPIError(endpoint, status, nil, body, time.Time{})
}

// errorBody is the union of the error shapes Kore answers with:
// {"errors":[{"msg"|"message": "...", "code": 4002|"..."}]} and a top-level
// {"message": "...", "code": ...}.
type errorBody struct {
	Errors  json.RawMessage `json:"errors"`
	Message json.RawMessage `json:"message"`
	Msg     json.RawMessage `json:"msg"`
	Code    json.RawMessage `json:"code"`
}

// errorItem is one entry of the errors list.
type errorItem struct {
	Msg     json.RawMessage `json:"msg"`
	Message json.RawMessage `json:"message"`
	Code    json.RawMessage `json:"code"`
}

// parseErrorBody extracts Kore's error code and message from an error answer.
// The code is the first one given, as written (a number or a string); the
// message joins every message given with "; ", on one line, bounded. ok
// reports whether the body had either.
func parseErrorBody(body []byte) (code, msg string, ok bool) {
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil {
		return "", "", false
	}
	var msgs []string
	var items []json.RawMessage
	_ = json.Unmarshal(eb.Errors, &items)
	for _, raw := range items {
		var it errorItem
		if json.Unmarshal(raw, &it) != nil {
			msgs = appendText(msgs, raw) // "errors": ["text"]
			continue
		}
		msgs = appendText(appendText(msgs, it.Msg), it.Message)
		if code == "" {
			code = codeText(it.Code)
		}
	}
	msgs = appendText(appendText(msgs, eb.Message), eb.Msg)
	if code == "" {
		code = codeText(eb.Code)
	}
	msg = oneLine(strings.Join(msgs, "; "), maxErrorMessage)
	return code, msg, code != "" || msg != ""
}

// appendText appends raw to msgs when it is a non-empty JSON string.
func appendText(msgs []string, raw json.RawMessage) []string {
	var s string
	if json.Unmarshal(raw, &s) != nil || strings.TrimSpace(s) == "" {
		return msgs
	}
	return append(msgs, strings.TrimSpace(s))
}

// codeText renders an error code given as a JSON number or string.
func codeText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return oneLine(s, 64)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return oneLine(n.String(), 64)
	}
	return ""
}

// oneLine replaces control characters with spaces, trims, and cuts s to at
// most limit bytes on a rune boundary, so server text cannot break a log line.
func oneLine(s string, limit int) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
	return strings.TrimSpace(truncateUTF8(s, limit))
}

// truncateUTF8 cuts s to at most limit bytes without splitting a rune.
func truncateUTF8(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date
// (relative to now). It returns zero when v is absent, unparsable or past,
// and caps the result at MaxRetryAfter.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), MaxRetryAfter)
}

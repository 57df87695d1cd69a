package webhook

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The test vector published by the Standard Webhooks project.
func TestStandardWebhooksVector(t *testing.T) {
	v, err := newStandardWebhooks([]string{testWhsec}, DefaultTolerance)
	if err != nil {
		t.Fatal(err)
	}
	hdr := http.Header{}
	hdr.Set("webhook-id", vectorID)
	hdr.Set("webhook-timestamp", strconv.Itoa(vectorTS))
	hdr.Set("webhook-signature", vectorSig)
	id, err := v.verify(hdr, []byte(vectorBody), vectorNow())
	if err != nil || id != vectorID {
		t.Fatalf("verify = %q, %v; want %q, nil", id, err, vectorID)
	}
	if _, err := v.verify(hdr, []byte(vectorBody+" "), vectorNow()); err != errBadSignature {
		t.Fatalf("verify of a changed body = %v, want errBadSignature", err)
	}

	f := newFixture(t)
	req := post("/hooks/orders", vectorBody)
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if rec := f.do(req); rec.Code != http.StatusAccepted {
		t.Fatalf("handler: status = %d, want 202; body %s", rec.Code, rec.Body)
	}
}

func TestStandardWebhooksTimestamps(t *testing.T) {
	tol := DefaultTolerance
	tests := []struct {
		name   string
		offset time.Duration // timestamp minus now
		want   int
	}{
		{"now", 0, http.StatusAccepted},
		{"just inside the past window", -tol + time.Second, http.StatusAccepted},
		{"at the past edge", -tol, http.StatusAccepted},
		{"stale", -tol - time.Second, http.StatusUnauthorized},
		{"very stale", -24 * time.Hour, http.StatusUnauthorized},
		{"just inside the future window", tol - time.Second, http.StatusAccepted},
		{"future", tol + time.Second, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ts := vectorNow().Add(tt.offset).Unix()
			req := signStandardReq(post("/hooks/orders", `{}`), testWhsec, "msg_ts", ts, `{}`)
			if rec := f.do(req); rec.Code != tt.want {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.want, rec.Body)
			}
		})
	}
}

func TestStandardWebhooksHugeTimestamp(t *testing.T) {
	v, err := newStandardWebhooks([]string{testWhsec}, DefaultTolerance)
	if err != nil {
		t.Fatal(err)
	}
	for _, ts := range []string{"9223372036854775807", "-9223372036854775808", "99999999999999999999"} {
		hdr := http.Header{}
		hdr.Set("webhook-id", vectorID)
		hdr.Set("webhook-timestamp", ts)
		hdr.Set("webhook-signature", vectorSig)
		if _, err := v.verify(hdr, []byte(vectorBody), vectorNow()); err == nil {
			t.Errorf("timestamp %s accepted", ts)
		}
	}
}

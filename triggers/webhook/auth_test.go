package webhook

import (
	"net/http"
	"strings"
	"testing"
)

func TestAuth(t *testing.T) {
	const body = `{"id": 42}`
	now := int64(vectorTS)
	tests := []struct {
		name   string
		target string
		sign   func(*http.Request)
		want   int
	}{
		{"standard-webhooks valid (new secret)", "/hooks/orders", func(r *http.Request) {
			signStandardReq(r, testWhsecNew, "msg_1", now, body)
		}, http.StatusAccepted},
		{"standard-webhooks valid (old secret, rotation)", "/hooks/orders", func(r *http.Request) {
			signStandardReq(r, testWhsec, "msg_2", now, body)
		}, http.StatusAccepted},
		{"standard-webhooks one of several signatures", "/hooks/orders", func(r *http.Request) {
			signStandardReq(r, testWhsec, "msg_3", now, body)
			r.Header.Set("webhook-signature", "v1,AAAA v2,zzz "+r.Header.Get("webhook-signature")+" v1a,xyz")
		}, http.StatusAccepted},
		{"standard-webhooks wrong secret", "/hooks/orders", func(r *http.Request) {
			signStandardReq(r, "whsec_"+strings.Repeat("A", 32), "msg_4", now, body)
		}, http.StatusUnauthorized},
		{"standard-webhooks signature over other body", "/hooks/orders", func(r *http.Request) {
			signStandardReq(r, testWhsec, "msg_5", now, `{"id": 43}`)
		}, http.StatusUnauthorized},
		{"standard-webhooks signature for other id", "/hooks/orders", func(r *http.Request) {
			signStandardReq(r, testWhsec, "msg_6", now, body)
			r.Header.Set("webhook-id", "msg_7")
		}, http.StatusUnauthorized},
		{"standard-webhooks wrong version", "/hooks/orders", func(r *http.Request) {
			signStandardReq(r, testWhsec, "msg_8", now, body)
			r.Header.Set("webhook-signature", "v2"+r.Header.Get("webhook-signature")[2:])
		}, http.StatusUnauthorized},
		{"standard-webhooks missing signature", "/hooks/orders", func(r *http.Request) {
			signStandardReq(r, testWhsec, "msg_9", now, body)
			r.Header.Del("webhook-signature")
		}, http.StatusUnauthorized},
		{"standard-webhooks missing id", "/hooks/orders", func(r *http.Request) {
			signStandardReq(r, testWhsec, "msg_10", now, body)
			r.Header.Del("webhook-id")
		}, http.StatusUnauthorized},
		{"standard-webhooks bad timestamp", "/hooks/orders", func(r *http.Request) {
			signStandardReq(r, testWhsec, "msg_11", now, body)
			r.Header.Set("webhook-timestamp", "soon")
		}, http.StatusUnauthorized},

		{"hmac hex valid (new secret)", "/hooks/github", func(r *http.Request) {
			r.Header.Set("X-Hub-Signature-256", "sha256="+hmacHex(testHMACKey2, body))
		}, http.StatusAccepted},
		{"hmac hex valid (old secret, rotation)", "/hooks/github", func(r *http.Request) {
			r.Header.Set("X-Hub-Signature-256", "sha256="+hmacHex(testHMACKey, body))
		}, http.StatusAccepted},
		{"hmac hex upper case", "/hooks/github", func(r *http.Request) {
			r.Header.Set("X-Hub-Signature-256", "sha256="+strings.ToUpper(hmacHex(testHMACKey, body)))
		}, http.StatusAccepted},
		{"hmac wrong secret", "/hooks/github", func(r *http.Request) {
			r.Header.Set("X-Hub-Signature-256", "sha256="+hmacHex("other", body))
		}, http.StatusUnauthorized},
		{"hmac missing prefix", "/hooks/github", func(r *http.Request) {
			r.Header.Set("X-Hub-Signature-256", hmacHex(testHMACKey, body))
		}, http.StatusUnauthorized},
		{"hmac base64 where hex expected", "/hooks/github", func(r *http.Request) {
			r.Header.Set("X-Hub-Signature-256", "sha256="+hmacB64(testHMACKey, body))
		}, http.StatusUnauthorized},
		{"hmac missing header", "/hooks/github", func(*http.Request) {}, http.StatusUnauthorized},
		{"hmac truncated", "/hooks/github", func(r *http.Request) {
			r.Header.Set("X-Hub-Signature-256", "sha256="+hmacHex(testHMACKey, body)[:62])
		}, http.StatusUnauthorized},
		{"hmac base64 custom header, no prefix", "/hooks/b64", func(r *http.Request) {
			r.Header.Set("X-Signature", hmacB64(testHMACKey, body))
		}, http.StatusAccepted},
		{"hmac base64 with unexpected prefix", "/hooks/b64", func(r *http.Request) {
			r.Header.Set("X-Signature", "sha256="+hmacB64(testHMACKey, body))
		}, http.StatusUnauthorized},
		{"hmac base64 in the default header only", "/hooks/b64", func(r *http.Request) {
			r.Header.Set("X-Hub-Signature-256", hmacB64(testHMACKey, body))
		}, http.StatusUnauthorized},

		{"bearer valid (new token)", "/hooks/bearer", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+testToken2)
		}, http.StatusAccepted},
		{"bearer valid (old token, rotation)", "/hooks/bearer", func(r *http.Request) {
			r.Header.Set("Authorization", "bearer "+testToken)
		}, http.StatusAccepted},
		{"bearer wrong token", "/hooks/bearer", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+testToken+"x")
		}, http.StatusUnauthorized},
		{"bearer prefix of token", "/hooks/bearer", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer TOPSECRET")
		}, http.StatusUnauthorized},
		{"bearer wrong scheme", "/hooks/bearer", func(r *http.Request) {
			r.Header.Set("Authorization", "Basic "+testToken)
		}, http.StatusUnauthorized},
		{"bearer empty token", "/hooks/bearer", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer ")
		}, http.StatusUnauthorized},
		{"bearer missing", "/hooks/bearer", func(*http.Request) {}, http.StatusUnauthorized},

		{"none accepts anything", "/hooks/open", func(*http.Request) {}, http.StatusAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			req := post(tt.target, body)
			tt.sign(req)
			rec := f.do(req)
			if rec.Code != tt.want {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.want, rec.Body)
			}
			answer := decodeAnswer(t, rec)
			if n := len(f.pub.published()); (tt.want == http.StatusAccepted) != (n == 1) {
				t.Errorf("published %d messages for status %d", n, rec.Code)
			}
			if tt.want == http.StatusUnauthorized {
				if answer["error"] == "" {
					t.Errorf("401 without error text: %s", rec.Body)
				}
				assertNoSecrets(t, "answer", rec.Body.String())
			}
			assertNoSecrets(t, "log", f.log.String())
		})
	}
}

// assertNoSecrets fails if s contains any test secret or signature marker.
func assertNoSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range []string{"TOPSECRET", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "VE9QU0VDUkVU", "v1,", "sha256="} {
		if strings.Contains(s, secret) {
			t.Errorf("%s contains secret material %q: %s", what, secret, s)
		}
	}
}

func TestAuthBeforeBodyParsing(t *testing.T) {
	// An unauthenticated request learns nothing about the body or its type.
	f := newFixture(t)
	for _, ct := range []string{"application/json", "image/png"} {
		req := post("/hooks/bearer", `{not json`)
		req.Header.Set("Content-Type", ct)
		if rec := f.do(req); rec.Code != http.StatusUnauthorized {
			t.Errorf("Content-Type %s: status = %d, want 401", ct, rec.Code)
		}
	}
}

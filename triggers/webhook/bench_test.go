package webhook

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func BenchmarkVerifyHMAC(b *testing.B) {
	body := []byte(`{"action":"opened","number":` + strings.Repeat("1", 4000) + `}`)
	v := newHMACSHA256(Auth{Type: AuthHMACSHA256, Secrets: []string{testHMACKey2, testHMACKey}})
	hdr := http.Header{}
	hdr.Set(defaultHMACHeader, defaultHMACPrefix+hmacHex(testHMACKey, string(body)))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.verify(hdr, body, vectorNow()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyStandardWebhooks(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 4096)
	v, err := newStandardWebhooks([]string{testWhsecNew, testWhsec}, DefaultTolerance)
	if err != nil {
		b.Fatal(err)
	}
	req := signStandardReq(post("/hooks/orders", string(body)), testWhsec, vectorID, vectorTS, string(body))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.verify(req.Header, body, vectorNow()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkServeHTTP(b *testing.B) {
	f := newFixture(b)
	body := `{"id":42}`
	sig := defaultHMACPrefix + hmacHex(testHMACKey, body)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		req := post("/hooks/github", body)
		req.Header.Set(defaultHMACHeader, sig)
		req.Header.Set("X-Delivery", strconv.Itoa(i))
		if rec := f.do(req); rec.Code != http.StatusAccepted {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

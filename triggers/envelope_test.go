package triggers

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/rules"
)

func TestDecode(t *testing.T) {
	received := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	stamped := time.Date(2026, 1, 2, 3, 4, 6, 7, time.UTC)
	tests := []struct {
		name    string
		subject string
		hdr     nats.Header
		data    string
		want    rules.Event
	}{
		{"nats JSON keeps a 19-digit id", "orders.eu.created", nats.Header{"X-Trace": {"t1"}},
			`{"id": 4611686018427387904, "total": 19.99}`,
			rules.Event{ID: "e", Source: rules.SourceNATS, Trigger: "orders.eu.created", Time: received,
				Headers: map[string]string{"X-Trace": "t1"}, Payload: map[string]any{"id": 4611686018427387904, "total": 19.99}}},
		{"nats non-JSON stays a string", "logs.raw", nil, "not json {",
			rules.Event{ID: "e", Source: rules.SourceNATS, Trigger: "logs.raw", Time: received, Payload: "not json {"}},
		{"webhook form body and original headers", WebhookSubject("orders"),
			nats.Header{HeaderContentType: {"application/x-www-form-urlencoded"}, HeaderReceived: {stamped.Format(time.RFC3339Nano)},
				HeaderPrefix + "X-Shop": {"eu"}, "Nats-Msg-Id": {"webhook:orders:1"}},
			"a=1&b=2&b=3",
			rules.Event{ID: "e", Source: rules.SourceWebhook, Trigger: "orders", Time: stamped,
				Headers: map[string]string{"X-Shop": "eu"}, Payload: map[string]any{"a": "1", "b": []any{"2", "3"}}}},
		{"webhook text body", WebhookSubject("ping"), nats.Header{HeaderContentType: {"text/plain; charset=utf-8"}}, "hello",
			rules.Event{ID: "e", Source: rules.SourceWebhook, Trigger: "ping", Time: received, Headers: map[string]string{}, Payload: "hello"}},
		{"cron", CronSubject("nightly"), nil, `{"rule":"nightly","scheduled":"2026-01-02T02:00:00Z"}`,
			rules.Event{ID: "e", Source: rules.SourceCron, Trigger: "nightly", Time: received,
				Payload: map[string]any{"rule": "nightly", "scheduled": "2026-01-02T02:00:00Z"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Decode("e", tt.subject, tt.hdr, []byte(tt.data), received)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestDecodeRejectsBadJSONWebhook(t *testing.T) {
	hdr := nats.Header{HeaderContentType: {"application/json"}}
	if _, err := Decode("e", WebhookSubject("orders"), hdr, []byte(`{"id":`), time.Now()); err == nil {
		t.Fatal("bad JSON with a JSON content type decoded")
	}
	if _, err := DecodeBody("application/vnd.api+json", []byte(`{"a":1} trailing`)); err == nil {
		t.Fatal("trailing data after JSON accepted")
	}
}

// TestDecodeForRules checks that DecodeForRules leaves exactly the bodies
// the rules may decode lazily undecoded, and is Decode otherwise.
func TestDecodeForRules(t *testing.T) {
	received := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	jsonHdr := nats.Header{HeaderContentType: {"application/problem+json"}}
	tests := []struct {
		name     string
		subject  string
		hdr      nats.Header
		data     string
		lazy     bool // left in Event.JSON
		wantsErr bool
	}{
		{"nats JSON", "orders.eu.created", nil, `{"id": 1, "status": "paid"}`, true, false},
		{"nats JSON scalar", "orders.eu.created", nil, `42`, true, false},
		{"nats non-JSON", "logs.raw", nil, "not json {", false, false},
		{"nats JSON with a lone surrogate escape", "orders.eu.created", nil, `{"a": "\ud800"}`, false, false},
		{"nats JSON with a raw tab in a string", "orders.eu.created", nil, "{\"a\": \"x\ty\"}", false, false},
		{"webhook +json", WebhookSubject("orders"), jsonHdr, `{"id": 1}`, true, false},
		{"webhook bad JSON", WebhookSubject("orders"), jsonHdr, `{"id":`, false, true},
		{"webhook form", WebhookSubject("orders"), nats.Header{HeaderContentType: {"application/x-www-form-urlencoded"}}, "a=1", false, false},
		{"webhook text", WebhookSubject("ping"), nats.Header{HeaderContentType: {"text/plain"}}, `{"a": 1}`, false, false},
		{"cron", CronSubject("nightly"), nil, `{"rule":"nightly"}`, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.data)
			got, err := DecodeForRules("e", tt.subject, tt.hdr, data, received)
			want, wantErr := Decode("e", tt.subject, tt.hdr, data, received)
			if (err != nil) != tt.wantsErr || fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Fatalf("error %v, Decode's %v", err, wantErr)
			}
			if tt.lazy {
				if got.JSON == nil || &got.JSON[0] != &data[0] || got.Payload != nil {
					t.Fatalf("body not left undecoded in JSON: %#v", got)
				}
				got.JSON, got.Payload = nil, want.Payload
			} else if got.JSON != nil {
				t.Fatalf("body %q left undecoded", tt.data)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %#v\nwant %#v", got, want)
			}
		})
	}
}

// A JSON body nested beyond what the decoder reads is refused, lazily or
// not, as Decode refuses it.
func TestDecodeForRulesRefusesWhatDecodeRefuses(t *testing.T) {
	deep := []byte(`{"a": ` + strings.Repeat("[", 400) + "1" + strings.Repeat("]", 400) + `}`)
	hdr := nats.Header{HeaderContentType: {"application/json"}}
	_, want := Decode("e", WebhookSubject("orders"), hdr, deep, time.Now())
	ev, err := DecodeForRules("e", WebhookSubject("orders"), hdr, deep, time.Now())
	if want == nil || err == nil || err.Error() != want.Error() || ev.JSON != nil {
		t.Errorf("DecodeForRules: %v (JSON left: %v); Decode: %v", err, ev.JSON != nil, want)
	}
	// Within the limit, the body is left to the rules.
	ok := []byte(`{"a": ` + strings.Repeat("[", 200) + "1" + strings.Repeat("]", 200) + `}`)
	if ev, err := DecodeForRules("e", WebhookSubject("orders"), hdr, ok, time.Now()); err != nil || ev.JSON == nil {
		t.Errorf("200 deep: %v, JSON left %v", err, ev.JSON != nil)
	}
}

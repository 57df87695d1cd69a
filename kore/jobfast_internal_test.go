package kore

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// decodeBoth decodes body with the fast path and with encoding/json.
func decodeBoth(t *testing.T, body []byte) (fast jobWire, fastOK bool, slow jobWire, slowErr error) {
	t.Helper()
	var p fastjson.Parser
	fastOK = fast.decodeFast(&p, body)
	slowErr = json.Unmarshal(body, &slow)
	return fast, fastOK, slow, slowErr
}

func TestJobFastPathAgreesWithEncodingJSON(t *testing.T) {
	tests := []struct {
		name string
		body string
		fast bool // the fast path takes it
	}{
		{"notify answer", `{"_id":"ds-1","streamId":"st-1","createdBy":"u-1","jobType":"PROACTIVE_NOTIFICATIONS_API",` +
			`"action":"PROACTIVE_NOTIFICATIONS","status":"IN_PROGRESS","percentageComplete":0,"statusLogs":[],` +
			`"lMod":"2026-12-01T10:00:00.123Z","createdOn":"2026-12-01T10:00:00Z","requestedTime":"2026-12-01T10:00:00Z"}`, true},
		{"escaped id", `{"_id":"ds-\u00e9\n","status":"IN_PROGRESS"}`, true},
		{"unknown fields", `{"_id":"ds-1","status":"x","extra":{"a":[1,2]},"n":null}`, true},
		{"duplicate key, last wins", `{"_id":"ds-1","_id":"ds-2","status":"x"}`, true},
		{"unparsable time is zero", `{"_id":"ds-1","status":"x","lMod":"yesterday"}`, true},
		{"fraction", `{"_id":"ds-1","status":"x","percentageComplete":33.5}`, true},
		{"status logs", `{"_id":"ds-1","status":"SUCCESS","statusLogs":[{"originalId":"a@b.c","status":"SUCCESS"}]}`, false},
		{"epoch millis", `{"_id":"ds-1","status":"x","lMod":1764583200000}`, false},
		{"null time", `{"_id":"ds-1","status":"x","lMod":null}`, false},
		{"key in another case", `{"_ID":"ds-1","Status":"x"}`, false},
		{"number id", `{"_id":5,"status":"x"}`, false},
		{"invalid utf-8", "{\"_id\":\"ds-\xff\",\"status\":\"x\"}", false},
		{"overflowing number", `{"_id":"ds-1","status":"x","percentageComplete":1e999}`, false},
		{"not an object", `["ds-1"]`, false},
		{"truncated", `{"_id":"ds-1","status":`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fast, fastOK, slow, slowErr := decodeBoth(t, []byte(tt.body))
			if fastOK != tt.fast {
				t.Fatalf("fast path took it: %v, want %v", fastOK, tt.fast)
			}
			if fastOK && (slowErr != nil || !reflect.DeepEqual(fast.job(), slow.job())) {
				t.Errorf("fast path decoded %+v; encoding/json %+v (err %v)", fast.job(), slow.job(), slowErr)
			}
		})
	}
}

// FuzzJobFastPath checks that whatever the fast path takes, encoding/json
// decodes to the same job. Seeds live in testdata/fuzz.
func FuzzJobFastPath(f *testing.F) {
	f.Add([]byte(`{"_id":"ds-1","status":"IN_PROGRESS","percentageComplete":0,"statusLogs":[],"lMod":"2026-12-01T10:00:00Z"}`))
	f.Add([]byte(`{"_id":"ds-\u00e9","status":"x","x":[{"y":null}]}`))
	f.Add([]byte(`{"createdOn":"2026-12-01T10:00:00.123456789+05:30","lMod":"2026-12-01T10:00:00-00:00","requestedTime":"2026-02-30T24:00:00Z"}`))
	f.Add([]byte(`{"jobType":"PROACTIVE_NOTIFICATIONS_API","action":"PROACTIVE_NOTIFICATIONS","status":"SUCCESS","lMod":"2026-12-01t10:00:00z"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, fastOK, slow, slowErr := decodeBoth(t, body)
		if !fastOK {
			return
		}
		if slowErr != nil {
			t.Fatalf("the fast path took %q, which encoding/json refuses: %v", body, slowErr)
		}
		if !reflect.DeepEqual(fast.job(), slow.job()) {
			t.Fatalf("%q: fast path %+v, encoding/json %+v", body, fast.job(), slow.job())
		}
	})
}

// BenchmarkDecodeJob compares the notify answer's fast path with
// encoding/json.
func BenchmarkDecodeJob(b *testing.B) {
	body := []byte(`{"_id":"ds-eb95db39-8c93-415c-bb7f-71fb3500146b","streamId":"st-1","createdBy":"u-1",` +
		`"jobType":"PROACTIVE_NOTIFICATIONS_API","action":"PROACTIVE_NOTIFICATIONS","status":"IN_PROGRESS",` +
		`"percentageComplete":0,"statusLogs":[],"lMod":"2026-12-01T10:00:00.123Z",` +
		`"createdOn":"2026-12-01T10:00:00.123Z","requestedTime":"2026-12-01T10:00:00.123Z"}`)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		var p fastjson.Parser
		for b.Loop() {
			var w jobWire
			if !w.decodeFast(&p, body) {
				b.Fatal("not taken")
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var w jobWire
			if err := json.Unmarshal(body, &w); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestJobKeysAreJobsTags: the keys the fast path knows are exactly the
// JSON names of Job's fields, so a field added to Job cannot be decoded
// by the fast path as an unknown key and left empty.
func TestJobKeysAreJobsTags(t *testing.T) {
	var tags []string
	jt := reflect.TypeFor[Job]()
	for i := range jt.NumField() {
		name, _, _ := strings.Cut(jt.Field(i).Tag.Get("json"), ",")
		tags = append(tags, name)
	}
	slices.Sort(tags)
	if keys := slices.Sorted(slices.Values(jobKeys[:])); !slices.Equal(tags, keys) {
		t.Errorf("Job's JSON names %v, the fast path's keys %v", tags, keys)
	}
}

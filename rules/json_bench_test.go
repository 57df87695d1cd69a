package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

var benchPayload = []byte(`{"id": 1000000000000000042, "status": "paid", "region": "eu", "amount": 1234.5,
 "customer": {"name": "N42", "email": "u42@example.com", "tags": ["a", "b"]}, "items": [{"sku": "x", "qty": 2}]}`)

func BenchmarkDecodeJSON(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeJSON(benchPayload); err != nil {
			b.Fatal(err)
		}
	}
}

// DecodeJSON agrees with encoding/json (numbers aside, which it keeps
// exact) on documents of every shape.
func TestDecodeJSONAgreesWithEncodingJSON(t *testing.T) {
	for _, doc := range []string{
		`{}`, `[]`, `null`, `true`, `"s"`, `1`, `-0`, `1.5e3`, `{"a":{"b":[1,"x",null,false,{"c":[]}]}}`,
		`{"dup": 1, "dup": 2}`, `"\u00e9\ud83d\ude00\n\"\\"`, `{"k\u0000ey": "v"}`, ` [1 , 2 ] `,
		`123456789012345678901234567890`, `{"big": -9223372036854775809, "int": 9223372036854775807}`,
	} {
		got, err := DecodeJSON([]byte(doc))
		if err != nil {
			t.Errorf("%s: %v", doc, err)
			continue
		}
		var want any
		dec := json.NewDecoder(strings.NewReader(doc))
		dec.UseNumber()
		if err := dec.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if want = Normalize(want); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v, want %#v", doc, got, want)
		}
	}
	for _, bad := range []string{``, `{`, `{"a":}`, `[1,]`, `{"a":1} x`, `nul`, `"\x"`, `{'a':1}`} {
		if _, err := DecodeJSON([]byte(bad)); err == nil {
			t.Errorf("%q decoded without error", bad)
		}
	}
}

// FuzzDecodeJSON: DecodeJSON accepts exactly what encoding/json accepts
// and decodes it to the same values (numbers kept exact).
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x",null,true]}`, `"\u00e9"`, `"\x"`, "\"a\tb\"", `01`, `1e`, `[1,]`,
		`{"a":1} x`, `"\ud800"`, "\"\xff\"", `123456789012345678901234567890`, `-0.0e+1`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeJSON(data)
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var want any
		werr := dec.Decode(&want)
		if werr == nil {
			if _, terr := dec.Token(); terr != io.EOF {
				werr = errors.New("trailing data")
			}
		}
		if (err == nil) != (werr == nil) {
			t.Fatalf("%q: DecodeJSON error %v, encoding/json error %v", data, err, werr)
		}
		if err != nil {
			return
		}
		if want = Normalize(want); !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: got %#v, want %#v", data, got, want)
		}
	})
}

// A decoder hands out the strings it made before for repeated keys and
// short values, never lets its tables grow past maxReused, and decodes
// the same document the same way whatever it remembers.
func TestDecoderReusesBoundedStrings(t *testing.T) {
	d := newDecoder()
	decode := func(doc string) any {
		t.Helper()
		v, err := d.p.Parse(doc)
		if err != nil {
			t.Fatal(err)
		}
		return d.valueOf(v)
	}
	first := decode(`{"status": "paid", "note": "` + strings.Repeat("x", maxReusedValue+1) + `"}`).(map[string]any)
	for i := range 3 * maxReused {
		got := decode(fmt.Sprintf(`{"k%d": "v%d", "status": "paid"}`, i, i)).(map[string]any)
		if len(d.keys) > maxReused || len(d.values) > maxReused {
			t.Fatalf("after %d documents: %d keys, %d values kept; at most %d each", i+1, len(d.keys), len(d.values), maxReused)
		}
		if want := map[string]any{fmt.Sprintf("k%d", i): fmt.Sprintf("v%d", i), "status": "paid"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("document %d decoded as %v, want %v", i, got, want)
		}
	}
	again := decode(`{"status": "paid", "note": "` + strings.Repeat("x", maxReusedValue+1) + `"}`).(map[string]any)
	if !reflect.DeepEqual(first, again) {
		t.Fatalf("the same document decoded as %v, then %v", first, again)
	}
	if got := decode("{\"bad\": \"a\xffb\"}").(map[string]any)["bad"]; got != "a\uFFFDb" {
		t.Fatalf("invalid UTF-8 decoded as %q, want it replaced", got)
	}
}

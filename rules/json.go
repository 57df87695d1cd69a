package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/korelay/korelay/internal/jsoncheck"
)

// decoders are reused: a decoder keeps its parser's buffers and the
// strings it made between documents.
var decoders = sync.Pool{New: func() any { return newDecoder() }}

// decoder turns parsed documents into rules' values. Events of one kind
// repeat their keys ("id", "status") and many short values ("paid",
// "eu"): the decoder hands out the string, or the boxed value, it made
// the last time instead of allocating it again. Strings never change, so
// sharing them between events is safe. Only one goroutine uses a decoder
// at a time.
type decoder struct {
	p      fastjson.Parser
	keys   map[string]string
	values map[string]any
	// The objects of a lazy decoding (partial) are maps lent for one
	// evaluation: reclaim clears them for the next once the evaluation
	// is over, since what rules produce holds strings, never the
	// payload's maps.
	lent, spare []map[string]any
}

// maxSpareMaps bounds the maps a decoder keeps for reuse.
const maxSpareMaps = 64

// Decoder reuse bounds: the tables are emptied when full, so a stream of
// unique values cannot grow them and the frequent ones come back.
const (
	maxReused      = 512 // entries per table
	maxReusedValue = 24  // longest string value reused, in bytes
)

func newDecoder() *decoder {
	return &decoder{keys: make(map[string]string), values: make(map[string]any)}
}

// DecodeJSON decodes a JSON document into the values rules see: objects as
// map[string]any, arrays as []any, integers that fit as int, other numbers
// as float64, and integers too large for int as their exact digits in a
// string, so a long id is never rounded and always renders as written.
// Strings that are not valid UTF-8 have the bad bytes replaced (U+FFFD), as
// encoding/json does.
func DecodeJSON(data []byte) (any, error) {
	// The parser is lenient (it takes "\x" or a raw tab in a string); the
	// check is not. A document it refuses is rare and gets encoding/json's
	// error, which says where.
	found, ok := jsoncheck.Check(data, math.MaxInt)
	if !ok {
		return nil, syntaxError(data)
	}
	if found.Surrogate {
		// The parser keeps a lone surrogate escape as its text where
		// encoding/json gives U+FFFD; such documents take the slow way.
		return decodeStd(data)
	}
	d := decoders.Get().(*decoder)
	defer decoders.Put(d)
	v, err := d.p.ParseBytes(data)
	if err != nil {
		return nil, syntaxError(data)
	}
	return d.valueOf(v), nil
}

// LazyJSON reports whether data may be left undecoded in Event.JSON, for
// Evaluate to decode only what the rules read: a JSON document that
// Evaluate reads exactly as DecodeJSON would. Anything else (not JSON, a
// lone surrogate escape, arrays and objects nested near the parser's
// depth limit) must be decoded with DecodeJSON.
func LazyJSON(data []byte) bool {
	found, ok := jsoncheck.Check(data, fastjson.MaxDepth-2)
	return ok && !found.Deep && !found.Surrogate
}

// decodeStd decodes data with encoding/json, numbers kept exact.
func decodeStd(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode JSON: %w", err)
	}
	return Normalize(v), nil
}

// syntaxError is encoding/json's error for a document that is not JSON:
// a *json.SyntaxError (with its offset) wrapped as "decode JSON: ...".
func syntaxError(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var v any
	err := dec.Decode(&v)
	if err == nil {
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			return errors.New("decode JSON: unexpected data after the top-level value")
		}
		err = errors.New("not valid JSON")
	}
	return fmt.Errorf("decode JSON: %w", err)
}

// valueOf converts a parsed value into the rules' values; nothing of the
// parser's buffers is kept.
func (d *decoder) valueOf(v *fastjson.Value) any {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		m := make(map[string]any, o.Len())
		o.Visit(func(k []byte, e *fastjson.Value) { m[d.key(k)] = d.valueOf(e) })
		return m
	case fastjson.TypeArray:
		items, _ := v.Array()
		out := make([]any, len(items))
		for i, e := range items {
			out[i] = d.valueOf(e)
		}
		return out
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return d.str(b)
	case fastjson.TypeNumber:
		var buf [32]byte
		return number(string(v.MarshalTo(buf[:0])))
	case fastjson.TypeTrue:
		return true
	case fastjson.TypeFalse:
		return false
	}
	return nil
}

// partial converts what n needs of a parsed value: of an object, the keys
// n names, each as far as its own need says; any other value whole. The
// keys are matched as DecodeJSON spells them (invalid UTF-8 replaced), and
// a repeated key keeps its last value, as in DecodeJSON. The objects are
// lent maps (see reclaim).
func (d *decoder) partial(v *fastjson.Value, n *need) any {
	if n.all || v.Type() != fastjson.TypeObject {
		return d.valueOf(v)
	}
	o, _ := v.Object()
	m := d.lend(len(n.keys))
	o.Visit(func(k []byte, e *fastjson.Value) {
		c := n.keys[string(k)]
		if c == nil && !utf8.Valid(k) { // rare: match it as DecodeJSON spells it
			c = n.keys[text(k)]
		}
		if c != nil {
			m[d.key(k)] = d.partial(e, c)
		}
	})
	return m
}

// lend returns an empty map for a lazy decoding, one reclaimed when there
// is one.
func (d *decoder) lend(size int) map[string]any {
	var m map[string]any
	if n := len(d.spare); n > 0 {
		m, d.spare = d.spare[n-1], d.spare[:n-1]
	} else {
		m = make(map[string]any, size)
	}
	d.lent = append(d.lent, m)
	return m
}

// reclaim takes back the maps lent since the last reclaim: nothing may
// use them any more.
func (d *decoder) reclaim() {
	for i, m := range d.lent {
		if len(d.spare) < maxSpareMaps {
			clear(m)
			d.spare = append(d.spare, m)
		}
		d.lent[i] = nil
	}
	d.lent = d.lent[:0]
}

// key returns b as a string, the one made before when there is one.
func (d *decoder) key(b []byte) string {
	if k, ok := d.keys[string(b)]; ok {
		return k
	}
	k := text(b)
	if len(d.keys) >= maxReused {
		clear(d.keys)
	}
	d.keys[k] = k
	return k
}

// str returns a string value, boxed; a short one is the box made before
// when there is one.
func (d *decoder) str(b []byte) any {
	if len(b) > maxReusedValue {
		return text(b)
	}
	if v, ok := d.values[string(b)]; ok {
		return v
	}
	s := text(b)
	var v any = s
	if len(d.values) >= maxReused {
		clear(d.values)
	}
	d.values[string(b)] = v
	return v
}

// text copies b into a string, replacing each byte of invalid UTF-8 with
// U+FFFD, as encoding/json does.
func text(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			sb.WriteRune(utf8.RuneError)
		} else {
			sb.Write(b[:n])
		}
		b = b[n:]
	}
	return sb.String()
}

// number converts a JSON number literal to int, float64 or, for an integer
// beyond int's range, its exact digits.
func number(s string) any {
	if i, err := strconv.Atoi(s); err == nil {
		return i
	}
	if isIntegerLiteral(s) {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return f
}

func isIntegerLiteral(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c == '-' && i == 0 {
			continue
		}
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

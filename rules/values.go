package rules

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// walkValue returns a copy of v with every map rebuilt as map[string]any
// (keys of other types printed with fmt, as YAML may give them), every list
// copied, and every other value passed through leaf. It is the one walk
// over decoded values: for JSON output, for exact numbers, for test events.
func walkValue(v any, leaf func(any) any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = walkValue(e, leaf)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = walkValue(e, leaf)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = walkValue(e, leaf)
		}
		return out
	}
	return leaf(v)
}

// Normalize turns decoded YAML or JSON values into what rules see from
// DecodeJSON: maps keyed by strings, numbers as int, float64 or (integers
// beyond int) their exact digits. The value is copied, not changed.
func Normalize(v any) any { return walkValue(v, exactLeaf) }

// exactLeaf turns a json.Number into the number rules see.
func exactLeaf(v any) any {
	if n, ok := v.(json.Number); ok {
		return number(string(n))
	}
	return v
}

// jsonSafe converts values encoding/json rejects (maps with non-string
// keys, non-finite floats) so that any value of a payload or dataset can be
// rendered; times become RFC 3339 strings.
func jsonSafe(v any) any { return walkValue(v, jsonLeaf) }

func jsonLeaf(v any) any {
	switch x := v.(type) {
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return formatFloat(x)
		}
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return v
}

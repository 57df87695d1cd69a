package kore

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/korelay/korelay/internal/jsoncheck"
)

// fastDecoder is an answer that can decode the common shape of its body
// without reflection. decodeFast reports false for anything else, and the
// body is then decoded by encoding/json as if there were no fast path.
type fastDecoder interface {
	decodeFast(p *fastjson.Parser, body []byte) bool
}

// jobKeys are the JSON keys of a job. encoding/json matches keys without
// regard to case, so a key equal to one of these but for case is left to
// it.
var jobKeys = [...]string{"_id", "status", "percentageComplete", "streamId", "createdBy",
	"jobType", "action", "statusLogs", "lMod", "createdOn", "requestedTime"}

// decodeFast decodes a job whose fields have the types Kore documents and
// whose statusLogs, if present, are empty: the answer to every notify
// call. A job with status logs (a finished status poll) or anything
// unusual goes to encoding/json.
func (w *jobWire) decodeFast(p *fastjson.Parser, body []byte) bool {
	if found, ok := jsoncheck.Check(body, math.MaxInt); !ok || found.Surrogate {
		return false
	}
	v, err := p.ParseBytes(body)
	if err != nil {
		return false
	}
	o, err := v.Object()
	if err != nil {
		return false
	}
	ok := true
	o.Visit(func(key []byte, v *fastjson.Value) {
		if ok {
			ok = w.setFast(string(key), v)
		}
	})
	return ok
}

// setFast sets the field key names from v, reporting false when v is not
// what the fast path handles.
func (w *jobWire) setFast(key string, v *fastjson.Value) bool {
	var dst *string
	switch key {
	case "_id":
		dst = &w.ID
	case "status":
		dst = &w.Status
	case "streamId":
		dst = &w.StreamID
	case "createdBy":
		dst = &w.CreatedBy
	case "jobType":
		dst = &w.JobType
	case "action":
		dst = &w.Action
	case "percentageComplete":
		if v.Type() != fastjson.TypeNumber {
			return false
		}
		f, err := v.Float64()
		w.PercentageComplete = f
		return err == nil && !math.IsInf(f, 0) // encoding/json refuses what overflows
	case "statusLogs":
		a, err := v.Array()
		w.StatusLogs = []StatusLog{} // as encoding/json: empty, not nil
		return err == nil && len(a) == 0
	case "lMod":
		return fastTime(&w.LastModified, v)
	case "createdOn":
		return fastTime(&w.CreatedOn, v)
	case "requestedTime":
		return fastTime(&w.RequestedTime, v)
	default:
		for _, k := range jobKeys {
			if strings.EqualFold(key, k) {
				return false
			}
		}
		return true // a field Job does not have
	}
	s, ok := fastString(v)
	*dst = s
	return ok
}

// fastString is v as a Go string when it is a JSON string of valid UTF-8
// (encoding/json would replace invalid bytes). The values every notify
// answer repeats are shared, not copied.
func fastString(v *fastjson.Value) (string, bool) {
	b, ok := fastBytes(v)
	if !ok {
		return "", false
	}
	switch string(b) { // compared in place: no copy
	case JobInProgress:
		return JobInProgress, true
	case JobSuccess:
		return JobSuccess, true
	case jobTypeNotify:
		return jobTypeNotify, true
	case jobActionNotify:
		return jobActionNotify, true
	}
	return string(b), true
}

// The jobType and action of every notify job.
const (
	jobTypeNotify   = "PROACTIVE_NOTIFICATIONS_API"
	jobActionNotify = "PROACTIVE_NOTIFICATIONS"
)

// fastBytes is v's bytes when it is a JSON string of valid UTF-8. They
// belong to the parser.
func fastBytes(v *fastjson.Value) ([]byte, bool) {
	if v.Type() != fastjson.TypeString {
		return nil, false
	}
	b, _ := v.StringBytes()
	return b, utf8.Valid(b)
}

// fastTime decodes an RFC 3339 string as lenientTime does: a strict one
// straight from the parser's bytes, any other through time.Parse; an
// unparsable string is the zero time. Numbers and anything else go to
// encoding/json.
func fastTime(t *lenientTime, v *fastjson.Value) bool {
	b, ok := fastBytes(v)
	if !ok {
		return false
	}
	if t.t.UnmarshalText(b) != nil {
		t.t, _ = time.Parse(time.RFC3339Nano, string(b))
	}
	return true
}

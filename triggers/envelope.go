package triggers

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/rules"
)

// Subjects korelay publishes its own events on. Webhook events go to
// WebhookSubjectPrefix+NAME, cron fires to CronSubjectPrefix+RULE.
const (
	WebhookSubjectPrefix = "korelay.webhook."
	CronSubjectPrefix    = "korelay.cron."
)

// Headers korelay sets on the events it publishes.
const (
	// HeaderContentType carries a webhook body's content type.
	HeaderContentType = "Korelay-Content-Type"
	// HeaderReceived carries when korelay received or fired the event (RFC 3339, nanoseconds).
	HeaderReceived = "Korelay-Received"
	// HeaderPrefix marks the original request headers kept with a webhook event.
	HeaderPrefix = "Korelay-H-"
)

// WebhookSubject is the subject webhook NAME is published on.
func WebhookSubject(name string) string { return WebhookSubjectPrefix + name }

// CronSubject is the subject cron rule RULE fires on.
func CronSubject(rule string) string { return CronSubjectPrefix + rule }

// Decode turns a message read from NATS into an event. id is the event id
// (see rules.Event.ID) and received the time to use when the message does not
// carry HeaderReceived.
func Decode(id, subject string, hdr nats.Header, data []byte, received time.Time) (rules.Event, error) {
	return decode(id, subject, hdr, data, received, false)
}

// DecodeForRules is Decode for an event that only rules.Set.Evaluate will
// read: a JSON body is checked but left undecoded in Event.JSON (aliasing
// data), so that Evaluate decodes only what the rules read. The errors,
// and what the rules see, are Decode's.
func DecodeForRules(id, subject string, hdr nats.Header, data []byte, received time.Time) (rules.Event, error) {
	return decode(id, subject, hdr, data, received, true)
}

func decode(id, subject string, hdr nats.Header, data []byte, received time.Time, lazy bool) (rules.Event, error) {
	ev := rules.Event{ID: id, Time: received}
	if h := hdr.Get(HeaderReceived); h != "" { // an event published to NATS has none
		if t, err := time.Parse(time.RFC3339Nano, h); err == nil {
			ev.Time = t
		}
	}
	contentType := ""
	switch {
	case strings.HasPrefix(subject, WebhookSubjectPrefix):
		ev.Source, ev.Trigger = rules.SourceWebhook, strings.TrimPrefix(subject, WebhookSubjectPrefix)
		contentType = hdr.Get(HeaderContentType)
		ev.Headers = originalHeaders(hdr)
	case strings.HasPrefix(subject, CronSubjectPrefix):
		ev.Source, ev.Trigger = rules.SourceCron, strings.TrimPrefix(subject, CronSubjectPrefix)
		contentType = "application/json"
	default:
		ev.Source, ev.Trigger = rules.SourceNATS, subject
		ev.Headers = plainHeaders(hdr)
	}
	mediaType := MediaType(contentType)
	if lazy && (mediaType == "" || isJSON(mediaType)) && rules.LazyJSON(data) {
		ev.JSON = data
		return ev, nil
	}
	payload, err := decodeMedia(mediaType, data)
	if err != nil {
		return ev, fmt.Errorf("event %s on %s: %w", id, subject, err)
	}
	ev.Payload = payload
	return ev, nil
}

// DecodeBody decodes a body by its content type: JSON (also "*+json" and an
// empty type) into JSON values, form bodies into a map, anything else into a
// string. A NATS message (contentType "") that is not valid JSON is kept as
// a string.
func DecodeBody(contentType string, data []byte) (any, error) {
	return decodeMedia(MediaType(contentType), data)
}

// decodeMedia is DecodeBody of a media type (MediaType's reading).
func decodeMedia(mediaType string, data []byte) (any, error) {
	switch {
	case mediaType == "":
		if v, err := rules.DecodeJSON(data); err == nil {
			return v, nil
		}
		return string(data), nil
	case isJSON(mediaType):
		return rules.DecodeJSON(data)
	case mediaType == "application/x-www-form-urlencoded":
		values, err := url.ParseQuery(string(data))
		if err != nil {
			return nil, fmt.Errorf("decode form body: %w", err)
		}
		return FormMap(values), nil
	default:
		return string(data), nil
	}
}

// isJSON reports whether a media type is JSON's.
func isJSON(mediaType string) bool {
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

// MediaType returns the media type of a Content-Type value, lower-cased,
// without its parameters ("" for an empty value): the one reading of a
// content type that the webhook door and the event decoder share.
func MediaType(contentType string) string {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// FormMap turns form values into what rules see: a key with one value maps
// to a string, a repeated key to a list of strings.
func FormMap(values url.Values) map[string]any {
	m := make(map[string]any, len(values))
	for k, vs := range values {
		if len(vs) == 1 {
			m[k] = vs[0]
			continue
		}
		list := make([]any, len(vs))
		for i, v := range vs {
			list[i] = v
		}
		m[k] = list
	}
	return m
}

func originalHeaders(hdr nats.Header) map[string]string {
	out := make(map[string]string)
	for k, vs := range hdr {
		if name, ok := strings.CutPrefix(k, HeaderPrefix); ok && len(vs) > 0 {
			out[name] = vs[0]
		}
	}
	return out
}

func plainHeaders(hdr nats.Header) map[string]string {
	if len(hdr) == 0 {
		return nil
	}
	out := make(map[string]string, len(hdr))
	for k, vs := range hdr {
		if len(vs) > 0 {
			out[k] = vs[0]
		}
	}
	return out
}

package webhook

import (
	"net/http"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/korelay/korelay/triggers"
)

// droppedHeaders returns the headers never copied into an event:
// credentials and signatures, including the hook's own signature header.
func droppedHeaders(signatureHeader string) map[string]bool {
	dropped := map[string]bool{
		"Authorization": true, "Proxy-Authorization": true, "Cookie": true, headerSignature: true,
	}
	if signatureHeader != "" {
		dropped[http.CanonicalHeaderKey(signatureHeader)] = true
	}
	return dropped
}

// newMessage builds the message stored for an accepted request: the raw
// body, its content type, the receive time, the request headers minus
// credentials, and for Standard Webhooks a Nats-Msg-Id for deduplication.
func (h *hook) newMessage(r *http.Request, contentType string, body []byte, msgID string, now time.Time) *nats.Msg {
	msg := nats.NewMsg(triggers.WebhookSubject(h.name))
	msg.Data = body
	for k, vs := range r.Header {
		k = http.CanonicalHeaderKey(k)
		if len(vs) == 0 || h.dropped[k] {
			continue
		}
		msg.Header[triggers.HeaderPrefix+k] = []string{vs[0]}
	}
	msg.Header[triggers.HeaderContentType] = []string{contentType}
	msg.Header[triggers.HeaderReceived] = []string{now.UTC().Format(time.RFC3339Nano)}
	if msgID != "" {
		msg.Header[nats.MsgIdHdr] = []string{"webhook:" + h.name + ":" + msgID}
	}
	return msg
}

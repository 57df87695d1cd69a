package koretest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// reply is an answer of the fake, decided before anything is written.
type reply struct {
	status int
	header http.Header
	body   []byte
	errMsg string // the error message, for rejected calls
}

// errorItem is one entry of Kore's errors list.
type errorItem struct {
	Msg  string `json:"msg"`
	Code int    `json:"code"`
}

// jsonReply answers v as JSON with the given status.
func jsonReply(status int, v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		return errorReply(http.StatusInternalServerError, 500, "koretest: encode answer: "+err.Error())
	}
	return reply{status: status, body: b}
}

// errorReply answers Kore's error body with one message.
func errorReply(status, code int, msg string) reply {
	return errorsReply(status, code, []string{msg})
}

// errorsReply answers Kore's error body with one entry per message.
func errorsReply(status, code int, msgs []string) reply {
	items := make([]errorItem, len(msgs))
	for i, m := range msgs {
		items[i] = errorItem{Msg: m, Code: code}
	}
	b, _ := json.Marshal(map[string][]errorItem{"errors": items})
	return reply{status: status, body: b, errMsg: strings.Join(msgs, "; ")}
}

// write sends the reply.
func (rep reply) write(w http.ResponseWriter) {
	for k, v := range rep.header {
		w.Header()[k] = v
	}
	if w.Header().Get("Content-Type") == "" && len(rep.body) > 0 {
		if json.Valid(rep.body) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
		} else {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(rep.body)))
	w.WriteHeader(rep.status)
	_, _ = bytes.NewReader(rep.body).WriteTo(w)
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.Decode(&json.RawMessage{}) != io.EOF {
		return errors.New("trailing data after the JSON body")
	}
	return nil
}

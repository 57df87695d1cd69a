package webhook

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/korelay/korelay/triggers"
)

// defaultContentType is assumed for a request without Content-Type.
const defaultContentType = "application/json"

// supportedMediaType reports whether a body of media type mt is accepted.
func supportedMediaType(mt string) bool {
	switch mt {
	case "application/json", "text/plain", "application/x-www-form-urlencoded":
		return true
	}
	typ, sub, ok := strings.Cut(mt, "/")
	return ok && typ != "" && strings.HasSuffix(sub, "+json") && len(sub) > len("+json")
}

// readBody reads the whole body, at most maxBody bytes.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, *failure) {
	tooLarge := reject(http.StatusRequestEntityTooLarge, "body exceeds "+strconv.FormatInt(h.maxBody, 10)+" bytes")
	if r.ContentLength > h.maxBody {
		return nil, tooLarge
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, h.maxBody))
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return nil, tooLarge
	case err != nil:
		f := reject(http.StatusBadRequest, "could not read the body")
		f.err = err
		return nil, f
	}
	return buf.Bytes(), nil
}

// checkBody checks the content type (415) and that the body decodes as that
// type (400). It returns the content type to store.
func checkBody(contentType string, body []byte) (string, *failure) {
	if strings.TrimSpace(contentType) == "" {
		contentType = defaultContentType
	}
	mt := triggers.MediaType(contentType)
	if !supportedMediaType(mt) {
		return "", reject(http.StatusUnsupportedMediaType,
			"unsupported content type; use application/json, text/plain or application/x-www-form-urlencoded")
	}
	if _, err := triggers.DecodeBody(contentType, body); err != nil {
		f := reject(http.StatusBadRequest, "invalid body: "+err.Error())
		f.err = err
		return "", f
	}
	return contentType, nil
}

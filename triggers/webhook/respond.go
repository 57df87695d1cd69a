package webhook

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/korelay/korelay/metrics"
)

// failure is a request that was not accepted: the status and the error text
// to answer with, the metrics outcome, and the underlying error for the log.
type failure struct {
	status  int
	reason  string // safe for the client and the log: never secret material
	outcome string
	err     error
}

func (f *failure) Error() string { return f.reason }

func (f *failure) Unwrap() error { return f.err }

// reject builds a failure counted as rejected.
func reject(status int, reason string) *failure {
	return &failure{status: status, reason: reason, outcome: metrics.OutcomeRejected}
}

// writeError answers {"error": reason} with f's status.
func writeError(w http.ResponseWriter, f *failure) {
	if f.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	if f.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	}
	writeJSON(w, f.status, struct {
		Error string `json:"error"`
	}{f.reason})
}

// retryAfterSeconds is the Retry-After hint on 503 answers.
const retryAfterSeconds = 5

// writeAccepted answers 202 {"id": eventID}.
func writeAccepted(w http.ResponseWriter, eventID string) {
	writeJSON(w, http.StatusAccepted, struct {
		ID string `json:"id"`
	}{eventID})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v) // plain structs of strings cannot fail
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// Package subject is korelay's one checker of NATS subjects and subject
// patterns. Validity is nats-server's own (server.IsValidSubject); matching
// and coverage follow what a NATS subscription is delivered.
//
// A token is a wildcard only when it is exactly "*" (one token) or, as the
// last token, ">" (one or more tokens). Any other token is literal, even
// one holding "*" or ">" among other characters: "orders.eu*" is a valid
// subject whose second token is the three characters e, u and *.
package subject

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
)

// ErrInvalid is what every error of Check unwraps to.
var ErrInvalid = errors.New("invalid subject")

// whitespace is what nats-server refuses inside a subject.
const whitespace = " \t\n\f\r"

// Valid reports whether p is a subject or subject pattern NATS accepts.
func Valid(p string) bool { return server.IsValidSubject(p) }

// Literal reports whether p is a valid subject without wildcard tokens,
// one a message can be published to.
func Literal(p string) bool {
	return server.IsValidSubject(p) && server.IsValidLiteralSubject(p)
}

// Check returns nil when p is valid (exactly when Valid(p)), else an
// *Error naming the problem.
func Check(p string) error {
	if server.IsValidSubject(p) {
		return nil
	}
	return &Error{Subject: p, Problem: problem(p)}
}

// Error is a subject NATS refuses. It matches ErrInvalid with errors.Is.
type Error struct {
	Subject string
	// Problem says what is wrong, such as "empty token".
	Problem string
}

// Error formats the error as `subject "a..b": empty token ...`.
func (e *Error) Error() string { return fmt.Sprintf("subject %q: %s", e.Subject, e.Problem) }

// Unwrap returns ErrInvalid.
func (e *Error) Unwrap() error { return ErrInvalid }

// problem explains why nats-server refuses p.
func problem(p string) string {
	if p == "" {
		return "empty subject"
	}
	if strings.ContainsAny(p, whitespace) {
		return "contains whitespace"
	}
	tokens := strings.Split(p, ".")
	for i, t := range tokens {
		switch {
		case t == "":
			return "empty token (two dots in a row, or a dot at the start or end)"
		case t == ">" && i != len(tokens)-1:
			return `">" must be the last token`
		}
	}
	return "refused by NATS"
}

package subject

import (
	"strings"

	"github.com/nats-io/nats-server/v2/server"
)

// Covers reports whether pattern a matches every subject pattern b
// matches (so subscribing to a makes subscribing to b redundant). Both
// must be valid; a pattern covers itself.
//
// nats-server's subset test (server.SubjectMatchesFilter) reads any token
// beginning with "*" as a wildcard, while its subscriptions treat such a
// token ("*x") literally. Covers follows delivery: it prefixes every
// literal token before asking nats-server, so no literal token begins with
// "*".
func Covers(a, b string) bool {
	if a == b {
		return true
	}
	if !hasStarPrefixedLiteral(a) {
		return server.SubjectMatchesFilter(b, a)
	}
	return server.SubjectMatchesFilter(literalSafe(b), literalSafe(a))
}

// hasStarPrefixedLiteral reports whether a token of p other than "*"
// begins with "*".
func hasStarPrefixedLiteral(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] == '*' && (i == 0 || p[i-1] == '.') && i+1 < len(p) && p[i+1] != '.' {
			return true
		}
	}
	return false
}

// Matches reports whether a message published to subject is delivered to
// a subscription on pattern: subject must be valid and literal.
func Matches(pattern, subject string) bool {
	return Literal(subject) && Covers(pattern, subject)
}

// literalSafe prefixes every literal token of p with "_", keeping the
// wildcard tokens "*" and ">".
func literalSafe(p string) string {
	var b strings.Builder
	b.Grow(len(p) + strings.Count(p, ".") + 1)
	for i, t := range strings.Split(p, ".") {
		if i > 0 {
			b.WriteByte('.')
		}
		if t != "*" && t != ">" {
			b.WriteByte('_')
		}
		b.WriteString(t)
	}
	return b.String()
}

// Overlap reports whether JetStream refuses a and b side by side: as two
// subjects of one stream (server.SubjectsCollide) or two filters of one
// consumer (a subset test either way). Patterns that some subject matches
// both of overlap; so, by nats-server's reading of tokens beginning with
// "*", may a few that no subject matches both of ("*x" and "a").
func Overlap(a, b string) bool {
	return server.SubjectsCollide(a, b) || server.SubjectMatchesFilter(a, b) || server.SubjectMatchesFilter(b, a)
}

// Join returns a pattern that covers both a and b, built token by token:
// equal tokens stay, different ones become "*", and from the first ">" on
// (or, when the lengths differ, from the shorter one's last token on) the
// rest is ">". For overlapping patterns it is the narrowest such pattern.
func Join(a, b string) string {
	at, bt := strings.Split(a, "."), strings.Split(b, ".")
	out := make([]string, 0, max(len(at), len(bt)))
	for i := range min(len(at), len(bt)) {
		switch {
		case at[i] == ">" || bt[i] == ">":
			return strings.Join(append(out, ">"), ".")
		case at[i] == bt[i]:
			out = append(out, at[i])
		default:
			out = append(out, "*")
		}
	}
	if len(at) != len(bt) {
		// The shorter one ended: the longer has at least one more token.
		if len(out) == 0 {
			return ">"
		}
		out[len(out)-1] = ">"
		return strings.Join(out, ".")
	}
	return strings.Join(out, ".")
}

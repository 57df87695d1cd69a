package main

import (
	"strconv"
	"strings"
)

// baseID is the first order id: every id has 19 digits, far beyond
// float64's exact integers, so a number that went through float64 shows.
const baseID uint64 = 1000000000000000000

// ruleSubject is the NATS subject pattern of the order rule (and of the
// reference's stream).
const ruleSubject = "orders.*.created"

// regions are the middle tokens of the order subjects.
var regions = []string{"eu", "us", "ap", "sa"}

// orders are the n order events of one run: the even ones "paid" (they
// match the rule), the odd ones "pending"; with none set, all "pending".
type orders struct {
	n    int
	none bool
}

// matches reports whether event i is "paid".
func (s orders) matches(i int) bool { return !s.none && i%2 == 0 }

// matching counts the "paid" events.
func (s orders) matching() int {
	if s.none {
		return 0
	}
	return (s.n + 1) / 2
}

// subject is the NATS subject of event i.
func subject(i int) string { return "orders." + regions[(i/2)%len(regions)] + ".created" }

// payload appends event i's JSON body to b.
func (s orders) payload(b []byte, i int) []byte {
	status := "pending"
	if s.matches(i) {
		status = "paid"
	}
	b = append(b, `{"id":`...)
	b = strconv.AppendUint(b, baseID+uint64(i), 10)
	b = append(b, `,"status":"`...)
	b = append(b, status...)
	b = append(b, `","customer":{"name":"Cust`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `","email":"c`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `@example.com"},"items":3,"total":"42.50"}`...)
	return b
}

// parseText returns the event index a rendered text ("Hi CustI, order ID
// is confirmed.") belongs to, checking that its order id is exactly the
// one sent (19 digits, as written) and that it agrees with the customer
// name and the identity. It does not allocate: the fake Kore calls it for
// every notification.
func parseText(text, identity string, n int) (i int, ok bool) {
	rest, ok1 := strings.CutPrefix(text, "Hi Cust")
	name, rest, ok2 := strings.Cut(rest, ", order ")
	id, ok3 := strings.CutSuffix(rest, " is confirmed.")
	if !ok1 || !ok2 || !ok3 || len(id) != 19 {
		return -1, false
	}
	v, err := strconv.ParseUint(id, 10, 64)
	if err != nil || v < baseID || v-baseID >= uint64(n) {
		return -1, false
	}
	i = int(v - baseID)
	var buf [24]byte
	who, ok4 := strings.CutPrefix(identity, "c")
	who, ok5 := strings.CutSuffix(who, "@example.com")
	idx := string(strconv.AppendInt(buf[:0], int64(i), 10))
	if !ok4 || !ok5 || name != idx || who != idx || id != string(strconv.AppendUint(buf[:0], v, 10)) {
		return i, false
	}
	return i, true
}

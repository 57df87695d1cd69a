package main

import (
	"regexp"
	"strconv"
)

// baseID is the first order id: every id has 19 digits, far beyond
// float64's exact integers, so a number that went through float64 shows.
const baseID uint64 = 1000000000000000000

// regions are the middle tokens of the order subjects.
var regions = []string{"eu", "us", "ap", "sa"}

// matches reports whether event i is "paid" (matches the rule): the even ones.
func matches(i int) bool { return i%2 == 0 }

// subject is the NATS subject of event i.
func subject(i int) string { return "orders." + regions[(i/2)%len(regions)] + ".created" }

// payload appends event i's JSON body to b.
func payload(b []byte, i int) []byte {
	status := "pending"
	if matches(i) {
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

// textRE parses the rule's rendered text.
var textRE = regexp.MustCompile(`^Hi Cust([0-9]+), order ([^ ]+) is confirmed\.$`)

// parseText returns the event index a rendered text belongs to, checking
// that its order id is exactly the one sent (19 digits, as written) and
// that it agrees with the customer name and the identity.
func parseText(text, identity string, n int) (i int, ok bool) {
	m := textRE.FindStringSubmatch(text)
	if m == nil || len(m[2]) != 19 {
		return -1, false
	}
	id, err := strconv.ParseUint(m[2], 10, 64)
	if err != nil || id < baseID || id-baseID >= uint64(n) {
		return -1, false
	}
	i = int(id - baseID)
	if m[2] != strconv.FormatUint(baseID+uint64(i), 10) || m[1] != strconv.Itoa(i) ||
		identity != "c"+strconv.Itoa(i)+"@example.com" {
		return i, false
	}
	return i, true
}

package journal

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"time"
)

// Memory bounds.
const (
	// DefaultMemoryEvents is how many of the latest events a Memory keeps
	// (the status page lists 50).
	DefaultMemoryEvents = 200
	// maxEventRecords bounds the records kept for one event.
	maxEventRecords = 64
	// matchBuckets are the minutes over which rule matches are counted.
	matchBuckets = 60
)

// Memory keeps the latest events' records in process, for the status page
// (and for the stories of a dry run, which writes no shared journal), and
// counts each rule's matches over the last hour. It keeps the records as
// the journal encodes them, each event's in a buffer reused for a later
// event, and decodes them when asked: the journal writes a record for
// every event, and reads few. It is bounded and safe for concurrent use.
type Memory struct {
	mu      sync.Mutex
	cap     int
	ring    []memEvent // oldest first from head
	head    int
	index   map[string]int // event id → its place in ring
	matches map[string]*minuteCounts
	now     func() time.Time
}

// memEvent is one event a Memory keeps: its records encoded, one a line.
type memEvent struct {
	id    string
	lines []byte
	n     int // records
}

// maxReusedLines is the largest buffer of an event's records a Memory
// keeps for a later event.
const maxReusedLines = 16 << 10

// minuteCounts counts per minute over the last matchBuckets minutes.
type minuteCounts struct {
	minute [matchBuckets]int64 // the minute (unix/60) each bucket counts
	n      [matchBuckets]int
}

func (c *minuteCounts) add(t time.Time) {
	m := t.Unix() / 60
	i := m % matchBuckets
	if c.minute[i] != m {
		c.minute[i], c.n[i] = m, 0
	}
	c.n[i]++
}

func (c *minuteCounts) since(now time.Time, minutes int64) int {
	m, total := now.Unix()/60, 0
	for i := range c.minute {
		if c.minute[i] > m-minutes && c.minute[i] <= m {
			total += c.n[i]
		}
	}
	return total
}

// NewMemory returns a Memory of the latest events (0: DefaultMemoryEvents);
// now is its clock (nil: time.Now).
func NewMemory(events int, now func() time.Time) *Memory {
	if events <= 0 {
		events = DefaultMemoryEvents
	}
	if now == nil {
		now = time.Now
	}
	return &Memory{cap: events, index: make(map[string]int, events),
		matches: make(map[string]*minuteCounts), now: now}
}

// keep keeps r, encoded as line (without its newline), and counts the
// rules it says matched (Writer.Write calls it). Neither is kept past the
// call.
func (m *Memory) keep(r *Record, line []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.index[r.EventID]
	if !ok {
		i = m.admit(r.EventID)
	}
	if e := &m.ring[i]; e.n < maxEventRecords {
		e.lines = append(append(e.lines, line...), '\n')
		e.n++
	}
	if r.Kind == KindEvaluated {
		m.countMatches(r)
	}
}

// admit makes room for a new event, forgetting the oldest, and returns
// its place in the ring. The oldest's buffer is reused unless it grew
// large. The id is copied: the record it came from need not outlive
// Write, so it may live on the caller's stack.
func (m *Memory) admit(eventID string) int {
	id := strings.Clone(eventID)
	i := len(m.ring)
	if i < m.cap {
		m.ring = append(m.ring, memEvent{id: id})
	} else {
		i = m.head
		e := &m.ring[i]
		delete(m.index, e.id)
		lines := e.lines[:0]
		if cap(lines) > maxReusedLines {
			lines = nil
		}
		*e = memEvent{id: id, lines: lines}
		m.head = (m.head + 1) % m.cap
	}
	m.index[id] = i
	return i
}

func (m *Memory) countMatches(r *Record) {
	for _, rr := range r.Rules {
		if !rr.matched() {
			continue
		}
		c := m.matches[rr.Rule]
		if c == nil {
			c = &minuteCounts{}
			// A copy: the record need not outlive Write (and a rule
			// is counted once per name).
			m.matches[strings.Clone(rr.Rule)] = c
		}
		c.add(r.Time)
	}
}

// matched reports whether the rule's when held (the status page counts
// and lists it), whatever became of its notifications.
func (r RuleResult) matched() bool {
	switch r.Result {
	case ResultMatched, ResultShadow, ResultRenderError:
		return true
	}
	return false
}

// Records returns the records kept for an event (nil: none, or forgotten).
func (m *Memory) Records(eventID string) []Record {
	m.mu.Lock()
	i, ok := m.index[eventID]
	var lines []byte
	if ok {
		lines = append(lines, m.ring[i].lines...)
	}
	m.mu.Unlock()
	return decodeLines(lines)
}

// decodeLines decodes records encoded one a line.
func decodeLines(lines []byte) []Record {
	var recs []Record
	for len(lines) > 0 {
		line, rest, _ := bytes.Cut(lines, []byte{'\n'})
		lines = rest
		var r Record
		if json.Unmarshal(line, &r) == nil { // the journal's own encoding
			recs = append(recs, r)
		}
	}
	return recs
}

// Summary is one recent event, as the status page lists it.
type Summary struct {
	EventID string
	Time    time.Time
	Trigger *Trigger
	// Matched names the rules that matched.
	Matched []string
	Outcome string
}

// Recent returns up to n of the latest events, newest first.
func (m *Memory) Recent(n int) []Summary {
	type kept struct {
		id    string
		lines []byte
	}
	m.mu.Lock()
	var events []kept
	for i := len(m.ring) - 1; i >= 0 && len(events) < n; i-- {
		e := &m.ring[(m.head+i)%len(m.ring)]
		events = append(events, kept{e.id, append([]byte(nil), e.lines...)})
	}
	m.mu.Unlock()
	var out []Summary
	for _, e := range events {
		out = append(out, summarize(e.id, decodeLines(e.lines)))
	}
	return out
}

func summarize(id string, recs []Record) Summary {
	s := Summary{EventID: id, Outcome: OutcomePending}
	st := Build(id, recs, nil)
	if st == nil {
		return s
	}
	s.Trigger, s.Outcome = st.Trigger, st.Outcome
	if n := len(st.Evaluations); n > 0 {
		ev := st.Evaluations[n-1]
		s.Time = ev.Time
		for _, r := range ev.Rules {
			if r.matched() {
				s.Matched = append(s.Matched, r.Rule)
			}
		}
	}
	if s.Time.IsZero() && len(recs) > 0 {
		s.Time = recs[0].Time
	}
	return s
}

// Matches returns, per rule, the matches of the last hour and of the last
// five minutes.
func (m *Memory) Matches() map[string][2]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	out := make(map[string][2]int, len(m.matches))
	for rule, c := range m.matches {
		out[rule] = [2]int{c.since(now, matchBuckets), c.since(now, 5)}
	}
	return out
}

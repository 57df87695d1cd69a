package service

import (
	"context"
	"net"
	"time"

	"github.com/korelay/korelay/broker"
	"github.com/korelay/korelay/journal"
	"github.com/korelay/korelay/rules"
	"github.com/korelay/korelay/web"
)

// statusSource is what the status page reads and does: the running
// service.
type statusSource struct {
	s       *Service
	rt      *runtime
	started time.Time
}

// Compile-time check that the service is what the page needs.
var _ web.Source = (*statusSource)(nil)

// Status is the service's state now.
func (src *statusSource) Status() web.Status {
	s := src.s
	return web.Status{Mode: s.mode().String(), DryRun: s.dryRun, Ready: s.ready.Load() && s.natsConnected(),
		NATS: s.NATSURL(), Journal: src.rt.journal != nil, Started: src.started, Rules: len(s.Rules().Rules())}
}

// Rules are the rules in force with their matches in the journal's memory.
func (src *statusSource) Rules() []web.Rule {
	var matches map[string][2]int
	if mem := src.rt.journal.memory(); mem != nil {
		matches = mem.Matches()
	}
	var out []web.Rule
	for _, r := range src.s.Rules().Rules() {
		m := matches[r.Name]
		out = append(out, web.Rule{Name: r.Name, Description: r.Description, Trigger: triggerText(r),
			Mode: string(r.Mode), MatchesHour: m[0], Matches5m: m[1]})
	}
	return out
}

// triggerText names a rule's trigger: nats:SUBJECT, webhook:NAME or
// cron:SPEC (ZONE).
func triggerText(r *rules.Rule) string {
	switch {
	case r.On.NATS != "":
		return "nats:" + r.On.NATS
	case r.On.Webhook != "":
		return "webhook:" + r.On.Webhook
	case r.Schedule != nil:
		return "cron:" + scheduleText(r)
	}
	return ""
}

// scheduleText is a cron rule's spec and time zone, e.g.
// "0 9 * * MON (Europe/Berlin)".
func scheduleText(r *rules.Rule) string {
	return r.On.Cron + " (" + r.Schedule.Location().String() + ")"
}

// Budget is the spending of the budget in use: the fleet's (shared) or
// this process's.
func (src *statusSource) Budget() broker.Usage { return src.rt.usage.Usage() }

// Recent are this process's latest events.
func (src *statusSource) Recent(n int) []journal.Summary {
	if mem := src.rt.journal.memory(); mem != nil {
		return mem.Recent(n)
	}
	return nil
}

// Story reads an event's story: from the journal stream (every replica's
// records), else from this process's memory (a dry run, core NATS, or
// records not written yet).
func (src *statusSource) Story(ctx context.Context, id string) (*journal.Story, error) {
	var recs journal.RecordSource
	if j := src.rt.journal; j != nil {
		recs = journal.MemorySource{Memory: j.mem}
		if j.stream != nil {
			recs = streamThenMemory{j.stream, j.mem}
		}
	}
	var dls journal.DeadLetterSource
	if b, err := src.broker(); err == nil {
		dls = b
	}
	return journal.Explain(ctx, recs, dls, id)
}

// streamThenMemory reads the journal stream (every replica's records)
// and adds this process's records not written yet.
type streamThenMemory struct {
	stream *journal.Reader
	mem    *journal.Memory
}

func (s streamThenMemory) Records(ctx context.Context, id string) ([]journal.Record, error) {
	recs, err := s.stream.Records(ctx, id)
	if err != nil {
		return nil, err
	}
	seen := make(map[recordKey]bool, len(recs))
	for i := range recs {
		seen[keyOf(&recs[i])] = true
	}
	for _, r := range s.mem.Records(id) {
		if !seen[keyOf(&r)] {
			recs = append(recs, r)
		}
	}
	return recs, nil
}

// recordKey tells a record written to the stream from the same record in
// memory.
type recordKey struct {
	kind journal.Kind
	at   int64
	call uint64
}

func keyOf(r *journal.Record) recordKey {
	k := recordKey{kind: r.Kind, at: r.Time.UnixNano()}
	if r.Call != nil {
		k.call = r.Call.Seq
	}
	return k
}

// DeadLetters lists the dead letters stored (none outside JetStream).
func (src *statusSource) DeadLetters(ctx context.Context) ([]broker.DeadLetter, error) {
	b, err := src.broker()
	if err != nil {
		return nil, err
	}
	return b.DeadLetters(ctx, broker.DLQFilter{})
}

// Replay re-drives an event's dead letters, as korelay dlq replay -id.
func (src *statusSource) Replay(ctx context.Context, id string) (int, error) {
	b, err := src.broker()
	if err != nil {
		return 0, err
	}
	return b.Replay(ctx, broker.DLQFilter{EventID: id})
}

// Drop removes an event's dead letters (of one rule when rule is set).
func (src *statusSource) Drop(ctx context.Context, id, rule string) (int, error) {
	b, err := src.broker()
	if err != nil {
		return 0, err
	}
	return b.Drop(ctx, broker.DLQFilter{EventID: id, Rule: rule})
}

// broker is the JetStream transport, the one that keeps dead letters;
// web.ErrNoDeadLetters on any other.
func (src *statusSource) broker() (*broker.Broker, error) {
	if b, ok := src.rt.transport.(*broker.Broker); ok {
		return b, nil
	}
	return nil, web.ErrNoDeadLetters
}

// loopback reports whether a listen address only takes local connections.
func loopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

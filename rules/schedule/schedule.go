package schedule

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// ErrNeverFires is returned (wrapped) by Parse for a spec that is valid
// cron syntax but names no date that exists, such as "0 0 30 2 *".
var ErrNeverFires = errors.New("can never fire")

// Schedule is a parsed cron spec bound to a time zone. It is immutable and
// safe for concurrent use.
type Schedule struct {
	spec  string
	loc   *time.Location
	cron  *cron.SpecSchedule // nil for @every
	every time.Duration      // > 0 for @every
}

// Fire is one time a schedule fires.
type Fire struct {
	// Time is the instant it fires, in the schedule's location.
	Time time.Time
	// Note is empty normally; it explains a DST adjustment, such as
	// "02:30 does not exist (DST spring-forward); fires at 03:00".
	Note string
}

// IsZero reports whether f is the zero Fire, which Next returns when the
// schedule has no fire within its search horizon.
func (f Fire) IsZero() bool { return f.Time.IsZero() }

// Parse parses a cron spec: 5 fields (minute first), 6 fields (leading
// seconds) or a descriptor (@yearly, @annually, @monthly, @weekly, @daily,
// @midnight, @hourly, @every <duration>). loc is the rule's time zone; nil
// means UTC. A spec that can never fire (e.g. "0 0 30 2 *") is rejected
// with an error wrapping ErrNeverFires. "@every" needs a whole number of
// seconds, at least one.
func Parse(spec string, loc *time.Location) (*Schedule, error) {
	if loc == nil {
		loc = time.UTC
	}
	s := &Schedule{spec: spec, loc: loc}
	if err := s.parse(strings.TrimSpace(spec)); err != nil {
		return nil, fmt.Errorf("cron spec %q: %w", spec, err)
	}
	return s, nil
}

func (s *Schedule) parse(spec string) error {
	fields := strings.Fields(spec)
	switch {
	case len(fields) == 0:
		return errors.New("empty")
	case strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ="):
		return errors.New("time zone prefix not allowed; set the rule's timezone instead")
	case strings.HasPrefix(spec, "@every"):
		return s.parseEvery(spec)
	case strings.HasPrefix(spec, "@"):
		if len(fields) != 1 {
			return fmt.Errorf("descriptor %s takes no arguments", fields[0])
		}
	case len(fields) != 5 && len(fields) != 6:
		return fmt.Errorf("expected 5 or 6 fields, found %d", len(fields))
	default:
		for i, f := range fields {
			if slices.Contains(strings.Split(f, ","), "") {
				return fmt.Errorf("field %d %q: empty list item", i+1, f)
			}
		}
	}
	parsed, err := newParser().Parse(spec)
	if err != nil {
		return err
	}
	spec6, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return fmt.Errorf("unsupported schedule type %T", parsed)
	}
	s.cron = spec6
	return checkFeasible(spec6)
}

func (s *Schedule) parseEvery(spec string) error {
	if _, err := newParser().Parse(spec); err != nil {
		return err
	}
	arg := strings.TrimSpace(strings.TrimPrefix(spec, "@every"))
	d, err := time.ParseDuration(arg)
	if err != nil {
		return fmt.Errorf("@every: %w", err)
	}
	if d < time.Second || d%time.Second != 0 {
		return fmt.Errorf("@every %s: interval must be a whole number of seconds, at least 1s", arg)
	}
	s.every = d
	return nil
}

func newParser() cron.Parser {
	return cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour |
		cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
}

// Location is the time zone the schedule's wall-clock times are in.
func (s *Schedule) Location() *time.Location { return s.loc }

// String returns the spec as written.
func (s *Schedule) String() string { return s.spec }

// Next returns the first fire strictly after after. It returns the zero
// Fire only if no fire exists within about 12 years after after (Parse
// rejects specs that can never fire, so in practice only near the end of
// the representable calendar).
func (s *Schedule) Next(after time.Time) Fire {
	if s.every > 0 {
		return s.nextEvery(after)
	}
	return s.nextWall(after)
}

// NextN returns the next n fires strictly after after, in order; fewer if
// the schedule runs out (see Next).
func (s *Schedule) NextN(after time.Time, n int) []Fire {
	fires := make([]Fire, 0, max(n, 0))
	for range n {
		f := s.Next(after)
		if f.IsZero() {
			break
		}
		fires = append(fires, f)
		after = f.Time
	}
	return fires
}

// nextEvery returns the first multiple of s.every since the Unix epoch
// strictly after after.
func (s *Schedule) nextEvery(after time.Time) Fire {
	step := int64(s.every / time.Second)
	secs := after.Unix()
	next := (secs/step + 1) * step
	if secs%step < 0 { // negative Unix times: floor, not truncate
		next -= step
	}
	return Fire{Time: time.Unix(next, 0).In(s.loc)}
}

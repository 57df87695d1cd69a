package journal

import (
	"context"
	"errors"
	"fmt"

	"github.com/korelay/korelay/broker"
)

// RecordSource gives an event's records: a Reader, or a Memory through
// MemorySource.
type RecordSource interface {
	Records(ctx context.Context, eventID string) ([]Record, error)
}

// DeadLetterSource lists dead letters: the Broker.
type DeadLetterSource interface {
	DeadLetters(ctx context.Context, f broker.DLQFilter) ([]broker.DeadLetter, error)
}

// ErrUnknownEvent reports an event with neither records nor dead letters.
var ErrUnknownEvent = errors.New("no record of this event")

// Explain reads an event's records from recs and its dead letters from
// dls (either may be nil) and builds its story. An event with neither is
// ErrUnknownEvent.
func Explain(ctx context.Context, recs RecordSource, dls DeadLetterSource, eventID string) (*Story, error) {
	var (
		records []Record
		letters []DeadLetter
	)
	if recs != nil {
		var err error
		if records, err = recs.Records(ctx, eventID); err != nil {
			return nil, err
		}
	}
	if dls != nil {
		stored, err := dls.DeadLetters(ctx, broker.DLQFilter{EventID: eventID})
		if err != nil {
			return nil, err
		}
		letters = DeadLettersOf(stored)
	}
	st := Build(eventID, records, letters)
	if st == nil {
		return nil, fmt.Errorf("event %s: %w", eventID, ErrUnknownEvent)
	}
	return st, nil
}

// DeadLettersOf turns stored dead letters into the story's.
func DeadLettersOf(dls []broker.DeadLetter) []DeadLetter {
	out := make([]DeadLetter, 0, len(dls))
	for _, d := range dls {
		out = append(out, DeadLetter{Rule: d.Rule, Reason: d.Reason, Error: d.Error, Response: d.Response,
			Time: d.Time, Attempts: d.Attempts, Identities: len(d.Identities), Sample: Sample(d.Identities)})
	}
	return out
}

// MemorySource reads a Memory as a RecordSource.
type MemorySource struct{ *Memory }

// Records returns the records the Memory keeps of the event.
func (m MemorySource) Records(_ context.Context, eventID string) ([]Record, error) {
	return m.Memory.Records(eventID), nil
}

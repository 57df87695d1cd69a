// Package journal is korelay's delivery journal: what happened to each
// event, written off the hot path so that `korelay explain` and the status
// page can tell an event's story afterwards.
//
// korelay hands Entries to a Writer, which never blocks the caller: a full
// buffer drops the entry and counts it. A goroutine of the Writer turns
// entries into Records, keeps the latest events in a Memory (the status
// page's recent events and rule match counts), and, in batches, publishes
// one message per event to the journal stream (StreamName, subject
// korelay.journal.<event id>), bounded by age and size. A Reader reads an
// event's records back and Build assembles them into a Story.
//
// The package does not log; the Writer reports what it drops through a
// callback.
package journal

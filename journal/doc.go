// Package journal is korelay's delivery journal: what happened to each
// event, written off the hot path so that `korelay explain` and the status
// page can tell an event's story afterwards.
//
// korelay hands Records to a Writer (Writer.Write), which encodes each at
// once on the caller's goroutine and never blocks it: a full buffer drops
// the record and counts it. The Writer keeps the latest events in a
// Memory (encoded, for the status page's recent events and rule match
// counts), and, in batches from a goroutine of its own, publishes them to
// the journal stream (StreamName), bounded by age and size: one message
// holds records of many events of one shard (Shards subjects
// korelay.journal.s00…, by ShardOf the event id). A Reader reads an
// event's records back from its shard and Build assembles them into a
// Story.
//
// The package does not log; the Writer reports what it drops through a
// callback.
package journal

//go:build race

package journal

// raceEnabled: the race detector is on, and sync.Pool drops some of what
// it is given, so allocation counts are not what they are in production.
const raceEnabled = true

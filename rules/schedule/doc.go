// Package schedule parses cron specs and computes when they fire, on the
// wall clock of a rule's time zone.
//
// Specs have 5 fields (minute first), 6 fields (leading seconds) or are
// descriptors (@yearly, @annually, @monthly, @weekly, @daily, @midnight,
// @hourly, @every <duration>). The grammar is robfig/cron/v3's; the fire
// times are computed here, with explicit DST rules:
//
//   - Times are wall-clock times in the schedule's zone.
//   - A wall time skipped by a spring-forward fires once, at the first
//     instant after the gap; several skipped times merge into that one fire.
//   - A wall time repeated by a fall-back fires once, at its first
//     occurrence; the second occurrence does not fire.
//   - "@every D" is a constant interval on the absolute clock, aligned to the
//     Unix epoch, so every replica computes the same fire times.
//
// Fires moved or merged by a clock change carry a Note saying so.
//
// A Window is a daily span of wall-clock time ("22:00-07:00", quiet
// hours). Its end follows the same DST rules: an end a spring-forward skips
// is the first instant after the gap.
package schedule

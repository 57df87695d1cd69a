package rules

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/korelay/korelay/rules/schedule"
)

// Keys of the timing mappings.
var (
	quietKeys  = []string{"between", "timezone", "timezone_from"}
	digestKeys = []string{"every", "cron", "timezone", "text", "script"}
)

// QuietHours are a rule's quiet hours: a notification that would be sent
// inside them is held until they end.
type QuietHours struct {
	// Between is the daily window, "22:00-07:00".
	Between schedule.Window
	// Timezone is the zone the window is read in when TimezoneFrom is not
	// set or gives nothing: the key's, else the cron rule's, else UTC.
	Timezone *time.Location
	// TimezoneFrom is the expression giving a zone name per identity (per
	// for_each item, or per event), as written; "" without.
	TimezoneFrom string
}

// quietRule is the compiled quiet hours.
type quietRule struct {
	window schedule.Window
	loc    *time.Location
	from   *program // nil without timezone_from
}

// Digest collects a rule's notifications per identity and sends one
// message per identity when each period ends.
type Digest struct {
	// Every is the period's length (periods are aligned to multiples of it
	// since the Unix epoch); 0 with Cron.
	Every time.Duration
	// Cron is the cron spec whose fires end the periods, as written.
	Cron string
	// Schedule gives the end of the period an instant falls in (Next).
	Schedule *schedule.Schedule
	// MessageType is "text" or "script"; Message the template as written.
	MessageType, Message string
}

// digestRule is the compiled digest.
type digestRule struct {
	sched   *schedule.Schedule
	msgType string
	message *tmpl
}

// digestRoots are the names a digest template may start with.
var digestRoots = []string{"items", "count", "now", "data"}

// compileQuiet compiles quiet_hours.
func (c *compiler) compileQuiet(f *fileCtx, r *Rule, fd field, withItem bool) {
	fields, ok := f.mapping(fd.val, "quiet_hours", quietKeys...)
	if !ok {
		return
	}
	q := &quietRule{loc: r.On.Timezone}
	if q.loc == nil {
		q.loc = time.UTC
	}
	spec := &QuietHours{}
	r.Quiet, r.quiet = spec, q
	if b, ok := fields["between"]; !ok {
		f.errorf(resolve(fd.val), "quiet_hours: missing required key \"between\" (such as \"22:00-07:00\")")
	} else if s, ok := f.scalar(b, "quiet_hours.between"); ok {
		w, err := schedule.ParseWindow(s)
		if err != nil {
			f.errs.addErr(f.at(resolve(b.val)), err, "quiet_hours.between: %v", err)
		}
		q.window, spec.Between = w, w
	}
	if tz, ok := fields["timezone"]; ok {
		if loc, ok := c.zone(f, tz, "quiet_hours.timezone"); ok {
			q.loc = loc
		}
	}
	spec.Timezone = q.loc
	if from, ok := fields["timezone_from"]; ok {
		if s, ok := f.scalar(from, "quiet_hours.timezone_from"); ok {
			spec.TimezoneFrom = s
			q.from = c.compileExpr("quiet_hours.timezone_from", s, f.valuePos(resolve(from.val)), kindString, withItem)
		}
	}
}

// zone reads a time zone name.
func (c *compiler) zone(f *fileCtx, fd field, what string) (*time.Location, bool) {
	s, ok := f.scalar(fd, what)
	if !ok {
		return nil, false
	}
	if s == "Local" {
		f.errorf(resolve(fd.val), "%s: %q depends on the machine; name a zone such as Europe/Berlin", what, s)
		return nil, false
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		f.errorf(resolve(fd.val), "%s: unknown time zone %q", what, s)
		return nil, false
	}
	return loc, true
}

// compileDigest compiles digest.
func (c *compiler) compileDigest(f *fileCtx, r *Rule, fd field) {
	fields, ok := f.mapping(fd.val, "digest", digestKeys...)
	if !ok {
		return
	}
	at := resolve(fd.val)
	d, spec := &digestRule{}, &Digest{}
	r.Digest, r.digest = spec, d
	c.compileDigestPeriod(f, at, r, spec, d, fields)
	text, hasText := fields["text"]
	script, hasScript := fields["script"]
	switch {
	case hasText && hasScript:
		f.errorf(script.key, "digest: set text or script, not both")
	case hasText:
		d.msgType, d.message = c.compileDigestMessage(f, r, spec, text, "text")
	case hasScript:
		d.msgType, d.message = c.compileDigestMessage(f, r, spec, script, "script")
	default:
		f.errorf(at, "digest: missing the message: text or script (a template over .items and .count)")
	}
}

// compileDigestPeriod compiles every or cron, with timezone.
func (c *compiler) compileDigestPeriod(f *fileCtx, at *yaml.Node, r *Rule, spec *Digest, d *digestRule, fields map[string]field) {
	every, hasEvery := fields["every"]
	cron, hasCron := fields["cron"]
	loc := r.On.Timezone
	if loc == nil {
		loc = time.UTC
	}
	if tz, ok := fields["timezone"]; ok {
		if !hasCron {
			f.errorf(tz.key, "digest.timezone: only allowed with digest.cron (every is counted from the Unix epoch)")
		} else if l, ok := c.zone(f, tz, "digest.timezone"); ok {
			loc = l
		}
	}
	switch {
	case hasEvery && hasCron:
		f.errorf(cron.key, "digest: set every or cron, not both")
	case hasEvery:
		spec.Every = c.duration(f, every, "digest.every", true)
		if spec.Every > 0 && (spec.Every < time.Second || spec.Every%time.Second != 0) {
			f.errorf(resolve(every.val), "digest.every: must be a whole number of seconds, found %s", spec.Every)
			return
		}
		if spec.Every > 0 {
			d.sched, _ = schedule.Parse(fmt.Sprintf("@every %ds", int64(spec.Every/time.Second)), time.UTC)
		}
	case hasCron:
		s, ok := f.scalar(cron, "digest.cron")
		if !ok {
			return
		}
		spec.Cron = s
		sched, err := schedule.Parse(s, loc)
		if err != nil {
			f.errs.addErr(f.at(resolve(cron.val)), err, "digest.cron: %v", err)
			return
		}
		d.sched = sched
	default:
		f.errorf(at, "digest: needs every (a duration) or cron (a cron spec)")
	}
	spec.Schedule = d.sched
}

// compileDigestMessage compiles the digest's text or script template.
func (c *compiler) compileDigestMessage(f *fileCtx, r *Rule, spec *Digest, fd field, kind string) (string, *tmpl) {
	what := "digest." + kind
	v, ok := templateSource(f, fd, what)
	if !ok {
		return kind, nil
	}
	spec.MessageType, spec.Message = kind, v.Value
	return kind, c.compileTemplateIn(r.Name, what, v.Value, f.valuePos(v), kind == "script", digestScope)
}

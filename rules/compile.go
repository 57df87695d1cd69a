package rules

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/expr-lang/expr"
	"gopkg.in/yaml.v3"

	"github.com/korelay/korelay/internal/subject"
	"github.com/korelay/korelay/rules/schedule"
)

// Keys of the rule language, by mapping.
var (
	ruleKeys   = []string{"name", "description", "on", "when", "for_each", "notify", "devices", "quiet_hours", "digest", "dedup", "mode"}
	onKeys     = []string{"nats", "webhook", "cron", "timezone", "catch_up"}
	notifyKeys = []string{"channel", "to", "groups", "text", "script"}
	dedupKeys  = []string{"key", "for"}
	channels   = []string{"msteams", "slack"}
)

// ReservedSubjects are the subjects korelay publishes on itself (webhook
// events, cron fires, replays, dead letters, held notifications, the
// journal); a rule's NATS subject may not reach into them, or its stream
// could not be created beside korelay's own.
var ReservedSubjects = []string{
	"korelay.webhook.>", "korelay.cron.>", "korelay.replay.>",
	"korelay.dlq.>", "korelay.held.>", "korelay.journal.>",
}

// reservedOverlap returns the first of ReservedSubjects that p reaches,
// or "".
func reservedOverlap(p string) string {
	for _, r := range ReservedSubjects {
		if subject.Overlap(p, r) {
			return r
		}
	}
	return ""
}

// defaultDedupFor is how long idempotency keys are kept when dedup.for is
// not set.
const defaultDedupFor = 24 * time.Hour

// compiler compiles rules against the config's names.
type compiler struct {
	errs         *errorList
	env          Env
	webhookNames []string
	groupNames   []string
	datasets     map[string]string
	datasetNames []string
	funcs        template.FuncMap
	exprOpts     []expr.Option // compile options without item
	itemExprOpts []expr.Option // and with item
	// rule gathers what the rule being compiled reads of the event: every
	// expression and template compiled adds its need.
	rule *need
}

func newCompiler(env Env, errs *errorList) *compiler {
	return &compiler{
		errs:         errs,
		env:          env,
		webhookNames: slices.Sorted(maps.Keys(env.Webhooks)),
		groupNames:   slices.Sorted(maps.Keys(env.Groups)),
		datasets:     env.Datasets,
		datasetNames: slices.Sorted(maps.Keys(env.Datasets)),
		funcs:        templateFuncs(),
		exprOpts:     exprOptions(false),
		itemExprOpts: exprOptions(true),
		rule:         &need{},
	}
}

// known lists configured names for an "unknown ..." message.
func (c *compiler) known(what string, names []string) string {
	if len(names) == 0 {
		return fmt.Sprintf(" (no %s are configured)", what)
	}
	const maxListed = 10
	list := strings.Join(names[:min(len(names), maxListed)], ", ")
	if len(names) > maxListed {
		list += ", …"
	}
	return fmt.Sprintf(" (configured %s: %s)", what, list)
}

// validName reports whether s matches [a-z0-9-]+.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// ruleNode is a compiled rule with the position of its name, for the
// duplicate check.
type ruleNode struct {
	rule   *Rule
	nameAt pos
	ok     bool // compiled without errors
}

// compileRule compiles one rule mapping. It returns nil when n is not a
// mapping; a rule with errors is returned with ok false, so that its name
// still takes part in the duplicate check.
func (c *compiler) compileRule(f *fileCtx, n *yaml.Node) *ruleNode {
	before := len(c.errs.errs)
	fields, ok := f.mapping(n, "rule", ruleKeys...)
	if !ok {
		return nil
	}
	n = resolve(n)
	r := &Rule{File: f.name, Line: n.Line, Column: n.Column, Mode: ModeLive}
	rn := &ruleNode{rule: r, nameAt: f.at(n)}
	c.rule = &need{}
	what := "rule"
	if fd, ok := fields["name"]; ok {
		if s, ok := f.scalar(fd, "name"); ok {
			r.Name, rn.nameAt, what = s, f.at(fd.val), fmt.Sprintf("rule %q", s)
			if !validName(s) {
				f.errorf(fd.val, "name %q: must match [a-z0-9-]+ (lower-case letters, digits and dashes)", s)
			}
		}
	}
	for _, key := range []string{"name", "on"} {
		if _, ok := fields[key]; !ok {
			f.errorf(n, "%s: missing required key %q", what, key)
		}
	}
	if fd, ok := fields["description"]; ok {
		r.Description = resolve(fd.val).Value
	}
	if fd, ok := fields["mode"]; ok {
		if s, ok := f.scalar(fd, "mode"); ok {
			if r.Mode = Mode(s); r.Mode != ModeLive && r.Mode != ModeShadow {
				f.errorf(fd.val, "mode: must be live or shadow, found %q", s)
			}
		}
	}
	if fd, ok := fields["on"]; ok {
		c.compileOn(f, r, fd)
	}
	_, withItem := fields["for_each"]
	if fd, ok := fields["when"]; ok {
		if s, ok := f.scalar(fd, "when"); ok {
			r.When = s
			r.when = c.compileExpr("when", s, f.valuePos(resolve(fd.val)), kindBool, withItem)
		}
	}
	if fd, ok := fields["for_each"]; ok {
		if s, ok := f.scalar(fd, "for_each"); ok {
			r.ForEach = s
			r.forEach = c.compileExpr("for_each", s, f.valuePos(resolve(fd.val)), kindList, false)
		}
	}
	c.compileAction(f, n, r, what, fields, withItem)
	if fd, ok := fields["dedup"]; ok {
		c.compileDedup(f, r, fd, withItem)
	}
	rn.ok = len(c.errs.errs) == before
	if rn.ok {
		r.eventField = r.readsEventField()
		r.need, r.firstNeed = c.rule, c.rule
		if r.when != nil && r.forEach == nil {
			r.firstNeed = r.when.need
		}
	}
	c.rule = &need{}
	return rn
}

// compileAction compiles the rule's one action, notify or devices, and
// the timing keys, which apply to notify.
func (c *compiler) compileAction(f *fileCtx, n *yaml.Node, r *Rule, what string, fields map[string]field, withItem bool) {
	notify, hasNotify := fields["notify"]
	devices, hasDevices := fields["devices"]
	switch {
	case hasNotify && hasDevices:
		second := devices
		if devices.key.Line < notify.key.Line {
			second = notify
		}
		f.errorf(second.key, "%s: has notify and devices; a rule has exactly one action", what)
	case hasNotify:
		r.Action = ActionNotify
		c.compileNotify(f, r, notify, withItem)
	case hasDevices:
		c.compileDevices(f, r, devices, withItem)
	default:
		f.errorf(n, "%s: missing the action: notify or devices", what)
	}
	quiet, hasQuiet := fields["quiet_hours"]
	digest, hasDigest := fields["digest"]
	for _, t := range []struct {
		fd  field
		set bool
	}{{quiet, hasQuiet}, {digest, hasDigest}} {
		if t.set && hasDevices && !hasNotify {
			f.errorf(t.fd.key, "%s: applies to notify rules only, not to devices", t.fd.key.Value)
		}
	}
	if hasQuiet && hasDigest {
		f.errorf(digest.key, "digest: not with quiet_hours; choose the digest's cron so it is sent outside them")
	}
	if hasQuiet {
		c.compileQuiet(f, r, quiet, withItem)
	}
	if hasDigest {
		c.compileDigest(f, r, digest)
	}
}

// readsEventField returns the first field of event the rule reads, in the
// order when, for_each, to, the device expressions, timezone_from,
// message, dedup key; "" when it reads none.
func (r *Rule) readsEventField() string {
	progs := []*program{r.when, r.forEach, r.to}
	if d := r.devices; d != nil {
		progs = append(progs, d.user, d.device, d.os)
	}
	if r.quiet != nil {
		progs = append(progs, r.quiet.from)
	}
	for _, p := range progs {
		if p != nil && p.eventField != "" {
			return p.eventField
		}
	}
	for _, t := range []*tmpl{r.message, r.dedupKey} {
		if t != nil && t.eventField != "" {
			return t.eventField
		}
	}
	return ""
}

// compileOn compiles the trigger.
func (c *compiler) compileOn(f *fileCtx, r *Rule, fd field) {
	fields, ok := f.mapping(fd.val, "on", onKeys...)
	if !ok {
		return
	}
	var triggers []field
	for _, k := range []string{"nats", "webhook", "cron"} {
		if t, ok := fields[k]; ok {
			triggers = append(triggers, t)
		}
	}
	switch {
	case len(triggers) == 0:
		f.errorf(resolve(fd.val), "on: needs one of nats, webhook or cron")
		return
	case len(triggers) > 1:
		slices.SortFunc(triggers, func(a, b field) int {
			return cmp.Or(cmp.Compare(a.key.Line, b.key.Line), cmp.Compare(a.key.Column, b.key.Column))
		})
		f.errorf(triggers[1].key, "on: only one of nats, webhook and cron may be set, found %s and %s", triggers[0].key.Value, triggers[1].key.Value)
		return
	}
	if _, isCron := fields["cron"]; !isCron {
		for _, k := range []string{"timezone", "catch_up"} {
			if extra, ok := fields[k]; ok {
				f.errorf(extra.key, "on.%s: only allowed with on.cron", k)
			}
		}
	}
	if t, ok := fields["nats"]; ok {
		if s, ok := f.scalar(t, "on.nats"); ok {
			r.On.NATS = s
			if err := subject.Check(s); err != nil {
				f.errorf(resolve(t.val), "on.nats: %v", err)
			} else if reserved := reservedOverlap(s); reserved != "" {
				f.errorf(resolve(t.val), "on.nats: %q reaches korelay's own subjects (%s); rules listen to webhooks and cron with on.webhook and on.cron", s, reserved)
			}
		}
	}
	if t, ok := fields["webhook"]; ok {
		if s, ok := f.scalar(t, "on.webhook"); ok {
			r.On.Webhook = s
			if !c.env.Webhooks[s] {
				f.errorf(resolve(t.val), "on.webhook: unknown webhook %q%s", s, c.known("webhooks", c.webhookNames))
			}
		}
	}
	if t, ok := fields["cron"]; ok {
		c.compileCron(f, r, t, fields)
	}
}

// compileCron compiles the cron spec in its time zone and catch_up.
func (c *compiler) compileCron(f *fileCtx, r *Rule, t field, fields map[string]field) {
	loc := time.UTC
	if tz, ok := fields["timezone"]; ok {
		if l, ok := c.zone(f, tz, "on.timezone"); ok {
			loc = l
		}
	}
	r.On.Timezone = loc
	if cu, ok := fields["catch_up"]; ok {
		r.On.CatchUp = c.duration(f, cu, "on.catch_up", false)
	}
	s, ok := f.scalar(t, "on.cron")
	if !ok {
		return
	}
	r.On.Cron = s
	sched, err := schedule.Parse(s, loc)
	if err != nil {
		f.errs.addErr(f.at(resolve(t.val)), err, "on.cron: %v", err)
		return
	}
	r.Schedule = sched
}

// duration reads a Go duration; positive says it must be > 0 (else >= 0).
func (c *compiler) duration(f *fileCtx, fd field, what string, positive bool) time.Duration {
	s, ok := f.scalar(fd, what)
	if !ok {
		return 0
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		f.errorf(resolve(fd.val), "%s: invalid duration %q (use Go syntax such as 30m, 6h or 24h)", what, s)
	case positive && d <= 0:
		f.errorf(resolve(fd.val), "%s: must be positive, found %s", what, s)
	case d < 0:
		f.errorf(resolve(fd.val), "%s: must not be negative, found %s", what, s)
	}
	return d
}

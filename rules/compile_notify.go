package rules

import (
	"gopkg.in/yaml.v3"
)

// compileNotify compiles the notify mapping.
func (c *compiler) compileNotify(f *fileCtx, r *Rule, fd field, withItem bool) {
	fields, ok := f.mapping(fd.val, "notify", notifyKeys...)
	if !ok {
		return
	}
	at := resolve(fd.val)
	if ch, ok := fields["channel"]; !ok {
		f.errorf(at, "notify: missing required key \"channel\" (msteams or slack)")
	} else if s, ok := f.scalar(ch, "notify.channel"); ok {
		r.Channel = s
		if !contains(channels, s) {
			f.errorf(resolve(ch.val), "notify.channel: must be msteams or slack, found %q", s)
		}
	}
	to, hasTo := fields["to"]
	groups, hasGroups := fields["groups"]
	if !hasTo && !hasGroups {
		f.errorf(at, "notify: needs to (an expression) or groups, or both")
	}
	if hasTo {
		c.compileTo(f, r, to, withItem)
	}
	if hasGroups {
		c.compileGroups(f, r, groups)
	}
	text, hasText := fields["text"]
	script, hasScript := fields["script"]
	switch {
	case hasText && hasScript:
		f.errorf(script.key, "notify: set text or script, not both")
	case hasText:
		c.compileMessage(f, r, text, "text", withItem)
	case hasScript:
		c.compileMessage(f, r, script, "script", withItem)
	default:
		f.errorf(at, "notify: missing the message: text or script")
	}
}

func (c *compiler) compileTo(f *fileCtx, r *Rule, fd field, withItem bool) {
	if v := resolve(fd.val); v.Kind == yaml.SequenceNode {
		f.errorf(v, "notify.to: expected an expression, found a list; write a list expression such as '[event.owner, event.assignee]', or use groups for fixed identities")
		return
	}
	if s, ok := f.scalar(fd, "notify.to"); ok {
		r.To = s
		r.to = c.compileExpr("notify.to", s, f.valuePos(resolve(fd.val)), kindIdentities, withItem)
	}
}

func (c *compiler) compileGroups(f *fileCtx, r *Rule, fd field) {
	names, nodes, ok := f.stringList(fd, "notify.groups")
	if !ok {
		return
	}
	r.Groups = names
	var ids identitySet
	for i, g := range names {
		members, ok := c.env.Groups[g]
		if !ok {
			f.errorf(nodes[i], "notify.groups: unknown group %q%s", g, c.known("groups", c.groupNames))
			continue
		}
		for _, m := range members {
			ids.add(m)
		}
	}
	r.groupIDs = ids.list
}

func (c *compiler) compileMessage(f *fileCtx, r *Rule, fd field, kind string, withItem bool) {
	what := "notify." + kind
	v, ok := templateSource(f, fd, what)
	if !ok {
		return
	}
	r.MessageType, r.Message = kind, v.Value
	r.message = c.compileTemplate(r.Name, what, v.Value, f.valuePos(v), kind == "script", withItem)
}

// templateSource returns the node of a message template (text or
// script), reporting anything but a non-empty string.
func templateSource(f *fileCtx, fd field, what string) (*yaml.Node, bool) {
	v := resolve(fd.val)
	if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" || v.Value == "" {
		f.errorf(v, "%s: expected a template string, found %s", what, describe(v))
		return v, false
	}
	return v, true
}

func (c *compiler) compileDedup(f *fileCtx, r *Rule, fd field, withItem bool) {
	fields, ok := f.mapping(fd.val, "dedup", dedupKeys...)
	if !ok {
		return
	}
	r.DedupFor = defaultDedupFor
	if d, ok := fields["for"]; ok {
		r.DedupFor = c.duration(f, d, "dedup.for", true)
	}
	k, ok := fields["key"]
	if !ok {
		f.errorf(resolve(fd.val), "dedup: missing required key \"key\" (a template such as \"{{ .event.id }}\")")
		return
	}
	if s, ok := f.scalar(k, "dedup.key"); ok {
		r.DedupKey = s
		r.dedupKey = c.compileTemplate(r.Name, "dedup.key", s, f.valuePos(resolve(k.val)), false, withItem)
	}
}

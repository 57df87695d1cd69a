package rules

import (
	"errors"
	"fmt"
)

// maxItemErrors caps the item errors one Failure lists.
const maxItemErrors = 10

// Evaluate runs the rules bound to ev's trigger and returns the rendered
// notifications, the failures (rules that matched but could not render)
// and the names of the rules that matched. A rule's failure never stops
// the others. Evaluate is safe for concurrent use.
func (s *Set) Evaluate(ev *Event) Result {
	st := s.states.Get().(*evalState)
	defer func() {
		st.release()
		s.states.Put(st)
	}()
	var rules []*Rule
	rules, st.matches = s.index.match(ev, st.matches)
	if len(rules) == 0 {
		return Result{}
	}
	var cronRule *Rule
	if ev.Source == SourceCron {
		cronRule = rules[0]
	}
	st.reset(ev, cronRule)
	if ev.JSON != nil {
		st.decodeFirst(s.needs.of(ev, rules))
	}
	var res Result
	for _, r := range rules {
		if r.forEach != nil {
			st.evalForEach(r, &res)
		} else {
			st.evalRule(r, &res)
		}
	}
	return res
}

// fail records a rule's failure, with ReasonDecode when the rule reads
// fields of a payload that is not an object.
func (st *evalState) fail(res *Result, r *Rule, err error) {
	reason, err := classify(r, st.payload, err)
	res.Failures = append(res.Failures, Failure{EventID: st.ev.ID, Rule: r.Name, Reason: reason, Err: fmt.Errorf("rule %s: %w", r.Name, err)})
}

// evalRule evaluates a rule without for_each.
func (st *evalState) evalRule(r *Rule, res *Result) {
	if r.when != nil {
		ok, err := st.when(r, false)
		if err != nil || !ok {
			if err != nil {
				st.fail(res, r, err)
			}
			return
		}
	}
	res.Matched = append(res.Matched, r.Name)
	st.ensure(r)
	g, err := st.produce(r, false)
	if err != nil {
		st.fail(res, r, err)
		return
	}
	if len(g.ids.list) > 0 {
		res.Notifications = append(res.Notifications, r.notification(st.ev.ID, &g))
	}
}

// when runs the rule's condition.
func (st *evalState) when(r *Rule, withItem bool) (bool, error) {
	v, err := st.run(r.when, withItem)
	if err != nil {
		return false, err
	}
	switch b := v.(type) {
	case bool:
		return b, nil
	case nil: // a missing key: the condition does not hold
		return false, nil
	}
	return false, r.when.valueError("must be boolean, found " + describeValue(v))
}

// render renders the message and the dedup key.
func (st *evalState) render(r *Rule, withItem bool) (msg, key string, err error) {
	if msg, err = r.message.render(st, withItem); err != nil {
		return "", "", err
	}
	if key, err = st.renderKey(r, withItem); err != nil {
		return "", "", err
	}
	return msg, key, nil
}

// notification builds the rule's notification from a produced group.
func (r *Rule) notification(eventID string, g *notifGroup) Notification {
	n := Notification{
		EventID:    eventID,
		Rule:       r.Name,
		Mode:       r.Mode,
		Action:     r.Action,
		Identities: g.ids.list,
		DedupKey:   g.key,
		DedupFor:   r.DedupFor,
		Devices:    g.dev,
		Hold:       g.hold,
	}
	if r.Action == ActionNotify {
		n.Channel, n.MessageType, n.Message = r.Channel, r.MessageType, g.msg
	}
	return n
}

// evalForEach evaluates a rule with for_each: when, to and the templates
// per item. Items whose rendered message (or device action), dedup key and
// hold are equal become one notification with the union of their
// identities. Failed items are reported in one Failure; the other items
// still notify.
func (st *evalState) evalForEach(r *Rule, res *Result) {
	st.ensure(r)
	v, err := st.run(r.forEach, false)
	if err != nil {
		st.fail(res, r, err)
		return
	}
	items, err := listItems(v)
	if err != nil {
		st.fail(res, r, r.forEach.valueError(err.Error()))
		return
	}
	var (
		groups  []notifGroup
		byKey   map[groupKey]int
		errs    []error
		failed  int
		matched bool
	)
	for i, item := range items {
		st.setItem(item)
		g, ok, err := st.evalItem(r)
		if err != nil {
			failed++
			if len(errs) < maxItemErrors {
				errs = append(errs, fmt.Errorf("item %d: %w", i, err))
			}
			continue
		}
		if !ok {
			continue
		}
		matched = true
		if len(g.ids.list) == 0 {
			continue
		}
		k := g.groupKey()
		if byKey == nil {
			byKey = make(map[groupKey]int)
		}
		if j, seen := byKey[k]; seen {
			for _, id := range g.ids.list {
				groups[j].ids.add(id)
			}
			continue
		}
		byKey[k] = len(groups)
		groups = append(groups, g)
	}
	if matched {
		res.Matched = append(res.Matched, r.Name)
	}
	for i := range groups {
		res.Notifications = append(res.Notifications, r.notification(st.ev.ID, &groups[i]))
	}
	if failed > 0 {
		if failed > len(errs) {
			errs = append(errs, fmt.Errorf("and %d more failed items", failed-len(errs)))
		}
		st.fail(res, r, fmt.Errorf("%d of %d items failed: %w", failed, len(items), errors.Join(errs...)))
	}
}

// evalItem evaluates a for_each rule for the current item; ok is false
// when its condition is false.
func (st *evalState) evalItem(r *Rule) (g notifGroup, ok bool, err error) {
	if r.when != nil {
		if ok, err = st.when(r, true); err != nil || !ok {
			return g, false, err
		}
	}
	if g, err = st.produce(r, true); err != nil {
		return g, false, err
	}
	return g, true, nil
}

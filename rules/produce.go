package rules

import (
	"fmt"
	"time"
)

// notifGroup is what a rule produced for the event, or for one for_each
// item: a rendered message or a device action, its identities, dedup key
// and hold.
type notifGroup struct {
	msg, key string
	ids      identitySet
	dev      *DeviceAction
	hold     *Hold
}

// groupKey is what for_each items must share to merge into one
// notification.
type groupKey struct {
	msg, key string
	dev      DeviceAction
	until    int64
	zone     string
}

func (g *notifGroup) groupKey() groupKey {
	k := groupKey{msg: g.msg, key: g.key}
	if g.dev != nil {
		k.dev = *g.dev
	}
	if g.hold != nil {
		k.until, k.zone = g.hold.Until.UnixNano(), g.hold.Zone
	}
	return k
}

// produce evaluates a matched rule's action for the event (and item).
func (st *evalState) produce(r *Rule, withItem bool) (g notifGroup, err error) {
	if r.Action == ActionDevices {
		if g.dev, err = st.deviceAction(r, withItem); err != nil {
			return g, err
		}
		g.ids.add(g.dev.User)
		g.key, err = st.renderKey(r, withItem)
		return g, err
	}
	if r.to != nil {
		if err = st.identities(r, &g.ids, withItem); err != nil {
			return g, err
		}
	}
	for _, id := range r.groupIDs {
		g.ids.add(id)
	}
	if g.msg, g.key, err = st.render(r, withItem); err != nil {
		return g, err
	}
	g.hold, err = st.hold(r, withItem)
	return g, err
}

// renderKey renders the dedup key, "" without dedup.
func (st *evalState) renderKey(r *Rule, withItem bool) (string, error) {
	if r.dedupKey == nil {
		return "", nil
	}
	return r.dedupKey.render(st, withItem)
}

// deviceAction evaluates a devices rule's expressions.
func (st *evalState) deviceAction(r *Rule, withItem bool) (*DeviceAction, error) {
	d := r.devices
	a := &DeviceAction{Action: r.Devices.Action, Device: AllDevices, OS: d.osWord}
	var err error
	if a.User, err = st.stringValue(d.user, withItem); err != nil {
		return nil, err
	}
	if d.device != nil {
		if a.Device, err = st.stringValue(d.device, withItem); err != nil {
			return nil, err
		}
	}
	if d.os != nil {
		os, err := st.stringValue(d.os, withItem)
		if err != nil {
			return nil, err
		}
		var ok bool
		if a.OS, ok = normalizeOS(os); !ok {
			return nil, d.os.valueError(fmt.Sprintf("must be android or ios, found %q", os))
		}
	}
	return a, nil
}

// stringValue runs an expression that must give a non-empty string.
func (st *evalState) stringValue(p *program, withItem bool) (string, error) {
	v, err := st.run(p, withItem)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	switch {
	case !ok:
		return "", p.valueError("must be a string, found " + describeValue(v))
	case s == "":
		return "", p.valueError("empty string")
	}
	return s, nil
}

// hold says whether the rule's notification waits, and until when: the
// end of its quiet hours, or of its digest's period.
func (st *evalState) hold(r *Rule, withItem bool) (*Hold, error) {
	now := st.env.Now
	if d := r.digest; d != nil {
		end := d.sched.Next(now).Time
		return &Hold{Reason: HoldDigest, Until: end, Zone: end.Location().String()}, nil
	}
	q := r.quiet
	if q == nil {
		return nil, nil
	}
	loc, err := st.quietZone(q, withItem)
	if err != nil {
		return nil, err
	}
	end, ok := q.window.End(now, loc)
	if !ok {
		return nil, nil
	}
	return &Hold{Reason: HoldQuiet, Until: end, Zone: loc.String()}, nil
}

// quietZone is the zone quiet hours are read in: timezone_from's, unless
// it gives nothing (null, a missing key, ""), then the rule's.
func (st *evalState) quietZone(q *quietRule, withItem bool) (*time.Location, error) {
	if q.from == nil {
		return q.loc, nil
	}
	v, err := st.run(q.from, withItem)
	if err != nil {
		return nil, err
	}
	switch name := v.(type) {
	case nil:
		return q.loc, nil
	case string:
		if name == "" {
			return q.loc, nil
		}
		loc, err := st.set.zones.load(name)
		if err != nil {
			return nil, q.from.valueError(err.Error())
		}
		return loc, nil
	}
	return nil, q.from.valueError("must be a time zone name, found " + describeValue(v))
}

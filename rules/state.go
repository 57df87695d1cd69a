package rules

import (
	"bytes"
	"time"

	"github.com/expr-lang/expr/vm"
	"github.com/valyala/fastjson"
)

// evalState is the scratch space of one Evaluate call, pooled per Set so
// that evaluating an event allocates little.
type evalState struct {
	set     *Set
	ev      *Event // &event during an evaluation
	event   Event
	vm      vm.VM
	env     exprEnv
	ienv    itemEnv // env plus item, for for_each rules; set by setItem
	iready  bool    // ienv holds this event
	item    any
	tdata   map[string]any // template data for the text/template path
	tmeta   map[string]any // meta for templates
	tready  bool           // tdata and tmeta hold this event
	buf     []byte
	out     limitedBuffer // text/template output
	budget  rangeBudget   // text/template range iterations left
	matches []*Rule
	// payload is the event's payload as the rules see it: ev.Payload, or
	// what is decoded so far of ev.JSON.
	payload any
	lazy    lazyPayload
}

// lazyPayload is the state of an event whose body Evaluate decodes
// (Event.JSON): the parsed document, held until the evaluation ends, and
// how much of it the payload holds.
type lazyPayload struct {
	dec   *decoder // its parser holds doc
	doc   *fastjson.Value
	needs triggerNeeds
	have  *need // what payload holds
}

func newEvalState(s *Set) *evalState {
	return &evalState{
		set:   s,
		vm:    vm.VM{MemoryBudget: memoryBudget},
		tdata: make(map[string]any, 6),
		tmeta: make(map[string]any, len(metaKeys)),
	}
}

// reset prepares the environments for ev. For a cron event, cronRule is
// the rule it fires and `now` and meta.time are in the rule's time zone;
// otherwise they are UTC.
func (st *evalState) reset(ev *Event, cronRule *Rule) {
	st.event = *ev // a copy: the caller's event need not live on the heap
	st.ev = &st.event
	loc := time.UTC
	m := exprMeta{Source: string(ev.Source), Headers: ev.Headers, ID: ev.ID}
	switch ev.Source {
	case SourceNATS:
		m.Subject = ev.Trigger
	case SourceWebhook:
		m.Webhook = ev.Trigger
	case SourceCron:
		if cronRule != nil {
			m.Schedule = cronRule.On.Cron
			loc = cronRule.On.Timezone
		}
	}
	if m.Headers == nil {
		m.Headers = st.set.noHeaders
	}
	m.Time = ev.Time.In(loc)
	st.env = exprEnv{Event: ev.Payload, Meta: m, Data: st.set.data, Now: st.set.now().In(loc)}
	st.payload = ev.Payload
	st.item = nil
	st.tready = false
}

// decodeFirst parses ev.JSON and decodes what the bound rules read before
// one is known to match (needs.first).
func (st *evalState) decodeFirst(needs triggerNeeds) {
	d := decoders.Get().(*decoder)
	doc, err := d.p.ParseBytes(st.ev.JSON)
	if err != nil { // LazyJSON accepted it: not reached
		decoders.Put(d)
		st.setPayload(string(st.ev.JSON))
		return
	}
	st.lazy = lazyPayload{dec: d, doc: doc, needs: needs}
	st.decode(needs.first)
}

// decode makes the payload hold what n needs of the document.
func (st *evalState) decode(n *need) {
	st.lazy.have = n
	st.setPayload(st.lazy.dec.partial(st.lazy.doc, n))
}

// ensure makes the payload hold everything r reads: the first time a rule
// matches, everything the bound rules read is decoded.
func (st *evalState) ensure(r *Rule) {
	l := &st.lazy
	if l.doc == nil || l.have == l.needs.full || l.have.covers(r.need) {
		return
	}
	st.decode(l.needs.full)
}

// setPayload makes p the event's payload in every environment.
func (st *evalState) setPayload(p any) {
	st.payload = p
	st.env.Event = p
	if st.iready {
		st.ienv.Event = p
	}
	if st.tready {
		st.tdata["event"] = p
	}
}

// setItem makes item the current for_each element.
func (st *evalState) setItem(item any) {
	st.item = item
	if !st.iready {
		e := &st.env
		st.ienv = itemEnv{Event: e.Event, Meta: e.Meta, Data: e.Data, Now: e.Now}
		st.iready = true
	}
	st.ienv.Item = item
	if st.tready {
		st.tdata["item"] = item
	}
}

// templateData returns the data of the text/template path.
func (st *evalState) templateData(withItem bool) map[string]any {
	if !st.tready {
		clear(st.tmeta)
		m := &st.env.Meta
		st.tmeta["source"] = m.Source
		st.tmeta["subject"] = m.Subject
		st.tmeta["webhook"] = m.Webhook
		st.tmeta["schedule"] = m.Schedule
		st.tmeta["headers"] = m.Headers
		st.tmeta["id"] = m.ID
		st.tmeta["time"] = m.Time
		clear(st.tdata)
		st.tdata["event"] = st.env.Event
		st.tdata["meta"] = st.tmeta
		st.tdata["data"] = st.env.Data
		st.tdata["now"] = st.env.Now
		st.tdata[budgetKey] = &st.budget
		st.tready = true
	}
	if withItem {
		st.tdata["item"] = st.item
	} else {
		delete(st.tdata, "item")
	}
	return st.tdata
}

// release drops references to the event before the state is pooled.
func (st *evalState) release() {
	if d := st.lazy.dec; d != nil {
		d.reclaim()
		decoders.Put(d)
	}
	st.lazy = lazyPayload{}
	st.ev, st.item, st.payload = nil, nil, nil
	st.event = Event{}
	st.env = exprEnv{}
	if st.iready {
		st.ienv, st.iready = itemEnv{}, false
	}
	clear(st.tdata)
	clear(st.tmeta)
	st.tready = false
	clear(st.matches)
	st.matches = st.matches[:0]
	if cap(st.buf) > 64<<10 {
		st.buf = nil
	}
	if st.out.buf.Cap() > 64<<10 {
		st.out.buf = bytes.Buffer{}
	}
}

// run runs a program in the environment of the rule (with item for
// for_each rules).
func (st *evalState) run(p *program, withItem bool) (any, error) {
	var env any = &st.env
	if withItem {
		env = &st.ienv
	}
	v, err := st.vm.Run(p.prog, env)
	if err != nil {
		return nil, p.runError(err)
	}
	return v, nil
}

package rules

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/expr-lang/expr/parser"
)

// needString writes a need as "*" (all), or its keys in order with what
// each needs: "{customer{email:*,name:*},id:*}"; "{}" needs nothing.
func needString(n *need) string {
	if n.all {
		return "*"
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(n.keys)) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		if c := n.keys[k]; c.all {
			b.WriteString(":*")
		} else {
			b.WriteString(needString(c))
		}
	}
	b.WriteByte('}')
	return b.String()
}

func TestExprNeed(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`event.status == "paid"`, `{status:*}`},
		{`event.customer.email`, `{customer{email:*}}`},
		{`event["customer"]["e mail"] + event.id`, `{customer{e mail:*},id:*}`},
		{`event?.customer?.name ?? "x"`, `{customer{name:*}}`},
		{`event.customer`, `{customer:*}`},
		{`event.customer.name == "a" && event.customer`, `{customer:*}`},
		{`event.items[0].sku`, `{items:*}`},
		{`event.items[event.i]`, `{i:*,items:*}`},
		{`map(event.items, #.sku)`, `{items:*}`},
		{`len(event)`, `*`},
		{`event`, `*`},
		{`"x" in event`, `*`},
		{`get(event, "a")`, `*`},
		{`$env.event.a`, `*`},
		{`let c = event.customer; c.name`, `{customer:*}`},
		{`meta.subject == "a" && data.employees != nil && now.Year() > 0`, `{}`},
		{`item.email`, `{}`},
		{`event.a.b.c == 1 || event.a.d`, `{a{b{c:*},d:*}}`},
	} {
		tree, err := parser.Parse(tc.src)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		if got := needString(exprNeed(tree.Node)); got != tc.want {
			t.Errorf("exprNeed(%s) = %s, want %s", tc.src, got, tc.want)
		}
	}
}

func TestTemplateNeed(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`Hi {{ .event.customer.name }}, order {{ .event.id }}`, `{customer{name:*},id:*}`},
		{`{{ $.event.a }}`, `{a:*}`},
		{`{{ .event.a.b | default "x" }}`, `{a{b:*}}`},
		{`{{ index .event "a" }}`, `*`},
		{`{{ get .event "a" }}`, `*`},
		{`{{ json . }}`, `*`},
		{`{{ json $ }}`, `*`},
		{`{{ .event }}`, `*`},
		{`{{ with .event.customer }}{{ .name }}{{ else }}{{ .event.none }}{{ end }}`, `{customer:*,none:*}`},
		{`{{ range .event.items }}{{ .sku }} {{ $.event.currency }}{{ end }}`, `{currency:*,items:*}`},
		{`{{ $c := .event.customer }}{{ $c.name }}`, `{customer:*}`},
		{`{{ if eq .event.status "paid" }}{{ .meta.id }}{{ end }}`, `{status:*}`},
		{`{{ (.event.a).b }}`, `{a:*}`},
		{`{{ .now }} {{ .meta.subject }}`, `{}`},
	} {
		c := newCompiler(testEnv(t), &errorList{})
		tp := c.compileTemplate("r", "text", tc.src, valuePos{}, false, false)
		if tp == nil {
			t.Fatalf("%s: %v", tc.src, c.errs.errs)
		}
		if got := needString(tp.need); got != tc.want {
			t.Errorf("template %s needs %s, want %s", tc.src, got, tc.want)
		}
	}
}

func TestRuleNeeds(t *testing.T) {
	s := mustLoad(t, `
rules:
  - name: paid
    on: {nats: "orders.*.created"}
    when: event.status == "paid"
    notify: {channel: slack, to: event.customer.email, text: "Hi {{ .event.customer.name }}, order {{ .event.id }}"}
    dedup: {key: "{{ .event.ref }}"}
  - name: always
    on: {nats: "orders.eu.created"}
    notify: {channel: slack, to: event.owner, text: "new order"}
  - name: fan-out
    on: {webhook: orders}
    for_each: event.lines
    when: item.qty > 0 && event.open
    notify: {channel: slack, to: item.owner, text: "line"}
  - name: daily
    on: {webhook: orders}
    when: event.kind == "note"
    notify: {channel: slack, to: event.owner, text: "{{ .event.title }}"}
    digest: {every: 1h, text: "{{ json . }}"}
`)
	for _, tc := range []struct{ rule, first, full string }{
		{"paid", `{status:*}`, `{customer{email:*,name:*},id:*,ref:*,status:*}`},
		{"always", `{owner:*}`, `{owner:*}`},
		{"fan-out", `{lines:*,open:*}`, `{lines:*,open:*}`},
		// A digest template reads the digest's items, not the event.
		{"daily", `{kind:*}`, `{kind:*,owner:*,title:*}`},
	} {
		r, _ := s.Rule(tc.rule)
		if first, full := needString(r.firstNeed), needString(r.need); first != tc.first || full != tc.full {
			t.Errorf("%s needs first %s, full %s; want %s, %s", tc.rule, first, full, tc.first, tc.full)
		}
	}
	ev := &Event{Source: SourceNATS, Trigger: "orders.eu.created"}
	rs, _ := s.index.match(ev, nil)
	for range 2 { // computed, then remembered
		n := s.needs.of(ev, rs)
		if first, full := needString(n.first), needString(n.full); first != `{owner:*,status:*}` ||
			full != `{customer{email:*,name:*},id:*,owner:*,ref:*,status:*}` {
			t.Errorf("orders.eu.created needs first %s, full %s", first, full)
		}
	}
}

func TestNeedMergeAndCovers(t *testing.T) {
	a, b := &need{}, &need{}
	a.add([]string{"x", "y"})
	b.add([]string{"x"})
	if !b.covers(a) || a.covers(b) || !a.covers(&need{}) {
		t.Errorf("covers: x ⊇ x.y should hold, not the reverse")
	}
	u := &need{}
	u.merge(a)
	u.merge(b)
	if got := needString(u); got != `{x:*}` {
		t.Errorf("union = %s", got)
	}
	a.add(nil)
	if got := needString(a); got != "*" || !a.covers(u) {
		t.Errorf("add(nil) = %s", got)
	}
}

// lazyRules exercise every way a rule reads the payload. Only c-whole
// reads it all, on a subject of its own: on a trigger it shares, every
// event would be decoded whole.
const lazyRules = `
rules:
  - name: a-paid
    on: {nats: "orders.*.created"}
    when: 'event.status == "paid" || event["k\uFFFD"] == 1'
    notify: {channel: slack, to: event.customer.email, text: "Hi {{ .event.customer.name }}, order {{ .event.id }}."}
    dedup: {key: "{{ .event.id }}-{{ .event.customer.email | default \"none\" }}"}
  - name: b-nested
    on: {nats: "orders.*.created"}
    when: event?.flags?.vip == true && len(event.items ?? []) > 0
    notify:
      channel: msteams
      to: 'map(event.items, #.owner)'
      script: 'alert({{ .event.note }} + {{ $.event.items }});'
  - name: c-whole
    on: {nats: "orders.*.whole"}
    when: '"urgent" in event && event["urgent"] == true'
    notify: {channel: slack, to: '"ops@example.com"', text: "{{ json .event }}"}
  - name: d-fan-out
    on: {nats: "orders.eu.created"}
    for_each: event.lines ?? []
    when: item.qty > 0 && event.status != "void"
    notify: {channel: slack, to: item.owner, text: "{{ .item.sku }} of {{ .event.id }}{{ range .event.tags }} #{{ . }}{{ end }}"}
  - name: e-always
    on: {nats: "orders.eu.created"}
    notify: {channel: slack, to: 'string(event.owner ?? "nobody@example.com")', text: "{{ with .event.customer }}{{ .name }}{{ else }}anonymous{{ end }} {{ get .event \"x y\" }}"}
  - name: f-webhook
    on: {webhook: orders}
    when: event.a.b.c == 1 || event.a.d == "x"
    notify: {channel: slack, to: event.a.who, text: "{{ .event.a.b }} {{ .meta.id }}"}
`

// lazyPayloads are documents the lazy decoding must read as DecodeJSON does.
var lazyPayloads = []string{
	`{"id": 1000000000000000001, "status": "paid", "customer": {"name": "Ann", "email": "ann@example.com"}, "items": 3}`,
	`{"id": 7, "status": "pending", "customer": {"name": "Bob", "email": "bob@example.com"}}`,
	`{"id": 7, "status": "paid", "customer": {"name": "Bob"}}`,
	`{"id": 7, "status": "paid", "customer": "not an object"}`,
	`{"id": 7, "status": "paid", "customer": ["a", "b"]}`,
	`{"id": 7, "status": "paid", "customer": null}`,
	`{"status": "paid", "customer": {"email": "x@example.com", "name": "X"}, "customer": {"name": "Y"}}`,
	`{"status": "paid", "status": "pending"}`,
	`{"flags": {"vip": true}, "items": [{"owner": "o1@example.com"}, {"owner": "o2@example.com"}], "note": "</script><b>"}`,
	`{"flags": {"vip": true}, "items": "oops"}`,
	`{"urgent": true, "z": [1, 2.5, "three", null, {"k": false}]}`,
	`{"lines": [{"qty": 1, "sku": "A", "owner": "l1@example.com"}, {"qty": 0, "sku": "B", "owner": "l2@example.com"}], "id": 9, "tags": ["x", "y"], "status": "open"}`,
	`{"lines": "not a list", "owner": 5}`,
	`{"customer": {"name": "Ann"}, "x y": "spaced", "owner": "own@example.com"}`,
	`{"a": {"b": {"c": 1}, "who": "a@example.com"}}`,
	`{"a": {"b": {"c": 2}, "d": "x", "who": "a@example.com"}, "a": {"d": "x", "who": "b@example.com"}}`,
	`{"a\u00e9": 1, "caf\u00e9": {"x": "\u00e9"}, "status": "paid\ud83d\ude00", "customer": {"name": "\"q\"", "email": "e@example.com"}}`,
	"{\"st\xffatus\": \"paid\", \"customer\": {\"email\": \"e@example.com\", \"name\": \"inv\xffalid\"}}",
	"{\"k\xff\": 1, \"customer\": {\"email\": \"k@example.com\", \"name\": \"K\"}}",
	`{"status": "paid", "deep": ` + strings.Repeat("[", 400) + `1` + strings.Repeat("]", 400) + `}`,
	`[1, 2, 3]`,
	`"just a string"`,
	`42`,
	`null`,
	`{}`,
}

// lazyTriggers are events of every trigger lazyRules bind.
var lazyTriggers = []Event{
	{ID: "ev-1", Source: SourceNATS, Trigger: "orders.eu.created"},
	{ID: "ev-2", Source: SourceNATS, Trigger: "orders.us.created"},
	{ID: "ev-3", Source: SourceWebhook, Trigger: "orders"},
	{ID: "ev-4", Source: SourceNATS, Trigger: "orders.eu.whole"},
}

// checkLazyEvaluate evaluates data both ways, decoded by DecodeJSON
// (Payload) and left to Evaluate (JSON), and fails when they differ.
func checkLazyEvaluate(t *testing.T, s *Set, ev Event, data []byte) {
	t.Helper()
	if !LazyJSON(data) {
		return
	}
	payload, err := DecodeJSON(data)
	if err != nil {
		t.Fatalf("LazyJSON accepted %q, DecodeJSON refused it: %v", data, err)
	}
	full, lazy := ev, ev
	full.Payload, lazy.JSON = payload, data
	want, got := fmt.Sprintf("%+v", s.Evaluate(&full)), fmt.Sprintf("%+v", s.Evaluate(&lazy))
	if got != want {
		t.Errorf("%s %s %q:\nlazy: %s\nfull: %s", ev.Source, ev.Trigger, data, got, want)
	}
}

func TestLazyEvaluateReadsAsDecodeJSON(t *testing.T) {
	s := mustLoad(t, lazyRules)
	for _, ev := range lazyTriggers {
		for _, p := range lazyPayloads {
			checkLazyEvaluate(t, s, ev, []byte(p))
		}
	}
	// The same through the good rules, cron events included.
	good := goodSet(t)
	for _, ev := range []Event{{Source: SourceWebhook, Trigger: "orders"}, {Source: SourceNATS, Trigger: "orders.eu.updated"},
		{Source: SourceCron, Trigger: "password-expiry"}, {Source: SourceCron, Trigger: "expense-reminder"}} {
		for _, p := range append(lazyPayloads, `{"id": 42, "status": "shipped", "customer": {"name": "Ann", "email": "ann@example.com"}, "owner": "o@example.com"}`) {
			checkLazyEvaluate(t, good, ev, []byte(p))
		}
	}
}

func TestLazyEvaluateDecodesOnlyWhatRulesRead(t *testing.T) {
	s := mustLoad(t, `
rules:
  - name: paid
    on: {nats: "orders"}
    when: event.status == "paid"
    notify: {channel: slack, to: event.customer.email, text: "{{ .event.customer.secret | default \"-\" }}"}
`)
	st := s.states.Get().(*evalState)
	defer s.states.Put(st)
	ev := &Event{Source: SourceNATS, Trigger: "orders",
		JSON: []byte(`{"status": "pending", "customer": {"email": "e@example.com", "secret": "s", "other": 1}, "big": [1, 2, 3]}`)}
	rs, _ := s.index.match(ev, nil)
	st.reset(ev, nil)
	st.decodeFirst(s.needs.of(ev, rs))
	if got := fmt.Sprint(st.payload); got != "map[status:pending]" {
		t.Errorf("before any rule matched, payload = %s", got)
	}
	st.ensure(rs[0])
	if got := fmt.Sprint(st.payload); got != "map[customer:map[email:e@example.com secret:s] status:pending]" {
		t.Errorf("once the rule matched, payload = %s", got)
	}
	st.release()
}

// TestLazyEvaluateResultsOutliveTheirEvent checks that what Evaluate
// returned is not changed by later evaluations, which reuse the maps of
// the payloads decoded before.
func TestLazyEvaluateResultsOutliveTheirEvent(t *testing.T) {
	s := mustLoad(t, lazyRules)
	type kept struct {
		res  *Result
		text string
	}
	var all []kept
	for round := range 3 {
		for _, ev := range lazyTriggers {
			for _, p := range lazyPayloads {
				if !LazyJSON([]byte(p)) {
					continue
				}
				ev.JSON = []byte(p)
				res := s.Evaluate(&ev)
				if round == 0 {
					all = append(all, kept{&res, fmt.Sprintf("%+v", res)})
				}
			}
		}
	}
	for _, k := range all {
		if got := fmt.Sprintf("%+v", *k.res); got != k.text {
			t.Errorf("a result changed after later evaluations:\nnow:    %s\nbefore: %s", got, k.text)
		}
	}
}

func FuzzLazyEvaluate(f *testing.F) {
	for _, p := range lazyPayloads {
		for i := range lazyTriggers {
			f.Add([]byte(p), uint8(i))
		}
	}
	s := mustLoad(f, lazyRules)
	f.Fuzz(func(t *testing.T, data []byte, trigger uint8) {
		checkLazyEvaluate(t, s, lazyTriggers[int(trigger)%len(lazyTriggers)], data)
	})
}

// An event that matches no rule is evaluated allocating only what expr's
// reading of a map member costs (it copies the element through
// reflection), once the decoder's maps and strings are warm: the event
// stays on the caller's stack, and only the fields its rules' conditions
// read are decoded, into reused maps.
func TestLazyNoMatchAllocatesLittle(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops states and decoders")
	}
	s := mustLoad(t, `
rules:
  - name: paid
    on: {nats: "orders.*.created"}
    when: event.status == "paid"
    notify: {channel: slack, to: event.customer.email, text: "Hi {{ .event.customer.name }}"}
`)
	data := []byte(`{"id": 1000000000000000001, "status": "pending", "customer": {"name": "Ann", "email": "a@example.com"}, "items": [1, 2, 3]}`)
	eval := func() {
		ev := Event{ID: "korelay-1", Source: SourceNATS, Trigger: "orders.eu.created", JSON: data}
		if res := s.Evaluate(&ev); len(res.Matched) != 0 {
			t.Fatalf("matched %v", res.Matched)
		}
	}
	eval()
	if n := testing.AllocsPerRun(100, eval); n > 1 {
		t.Errorf("evaluating an event that matches nothing allocates %.1f times, want at most 1 (expr's event.status)", n)
	}
}

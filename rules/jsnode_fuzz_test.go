package rules

import (
	"strings"
	"testing"
	"time"
)

// injected is what the breakout values print when they run as code.
const injected = "INJECTED"

// breakouts try to end, from the value, every context an author's
// template can put it in, and run print("INJECTED") or pwn().
var breakouts = []string{
	`";print("INJECTED");//`, `';print("INJECTED");//`, "`;print(\"INJECTED\");//",
	`${print("INJECTED")}`, `{print("INJECTED")}`, `*/print("INJECTED");/*`, "\nprint(\"INJECTED\")//",
	"\rprint(\"INJECTED\")//", "\u2028print(\"INJECTED\")//", `/;print("INJECTED");//`,
	`\";print("INJECTED");//`, `");print("INJECTED");("`, "`+print(\"INJECTED\")+`",
	`-->print("INJECTED")`, `<!--x` + "\nprint(\"INJECTED\")",
	`+pwn()+`, `"+pwn()+"`, `'+pwn()+'`, "`+pwn()+`", `${pwn()}`, `);pwn();(`, `*/pwn()/*`, "\npwn()//",
	`}+pwn()+{`, "\u2028pwn()//", `-->pwn()`, `pwn()`,
}

// trickyScripts are author templates whose JavaScript contexts are hard
// to tell; seeds of FuzzScriptTemplate and cases of
// TestTrickyScriptsInNode.
var trickyScripts = []string{
	"x = a / {{ .event.v }}; y = '{{ .event.v }}'", "x = /[/\"]/.test({{ .event.v }})",
	"if (x) /re'/.test(\"{{ .event.v }}\")", "y = (a) / 2 + \"{{ .event.v }}\"",
	"x = 'a\\\n{{ .event.v }}'", "x = {{ if .event.v }}\"{{ .event.v }}\"{{ else }}{{ .event.v }}{{ end }}",
	"x = [{{ range .event.l }}'{{ . }}', {{ end }}]", "return{{ .event.v }}", "x = 1-{{ .event.v }}",
	"x = `${`${'${ {{ .event.v }} }'}`}`", "a = b\n/{{ .event.v }}/g", "x = y++ / 2; '{{ .event.v }}'",
	"x = a+ +/\"/.source; {{ .event.v }}", "x = a++ /\"/ 1; \"{{ .event.v }}\"", "x = a.return /\"/ 1; \"{{ .event.v }}\"",
	"x = `${ /}/.source + {{ .event.v }} }`", "/* a\n*/ --> \"\nx = {{ .event.v }}", "x = 1 <!-- \"\nx = {{ .event.v }}",
	"for await (x of y) /'/.test(x); '{{ .event.v }}'", "{{ .event.o }}\n/\"/; \"{{ .event.v }}\"",
	"x = a\n/re\"/.test(1); \"{{ .event.v }}\"", "while (a) /\"/.test(1); \"{{ .event.v }}\"",
	"x = y ? /\"/ : 1; \"{{ .event.v }}\"", "x = {a: /\"/}; \"{{ .event.v }}\"", "x = !/\"/.test(y); \"{{ .event.v }}\"",
	"x = `${ '}' }{{ .event.v }}`", "x = `${ x /* } */ }{{ .event.v }}`", "x = '\\'{{ .event.v }}'",
	"x = \"\\u{22}{{ .event.v }}\"", "do /\"/.test(1); while(0); \"{{ .event.v }}\"", "x = 1..toString() + '{{ .event.v }}'",
	"x = /a/ /2/ 1; '{{ .event.v }}'", "`$`+`{{ .event.v }}`", "`$${{ .event.v }}`", "x = a.if (b) / \"{{ .event.v }}\"",
	"#!/bin/node \"\nprint({{ .event.v }})", "x = a; {{ if .event.v }}/*{{ .event.v }}*/{{ end }} '{{ .event.v }}'",
	"{{ range .event.l }}x = {{ . }};{{ end }} y = \"{{ .event.v }}\"", "x = 1 --> 0; \"{{ .event.v }}\"",
	"x = `${ --/}/.source + {{ .event.v }} }`", "x = ++/\"/.lastIndex; \"{{ .event.v }}\"", "x = a\n--/'/.lastIndex; '{{ .event.v }}'",
	"x = `${{ .event.e }}{ {{ .event.v }} }`", "x = \"\\{{ .event.e }}\" + {{ .event.v }} + \"\"",
}

// checkNoBreakout loads src as a script template and, if it loads, runs
// it in node with every breakout value: none may run as code.
func checkNoBreakout(t *testing.T, node *nodeRunner, c *compiler, st *evalState, src string) {
	t.Helper()
	if strings.Contains(src, injected) {
		return
	}
	c.errs.errs = nil
	tp := c.compileTemplate("r", "notify.script", src, valuePos{file: "f", line: 1, col: 1}, true, false)
	if tp == nil {
		return
	}
	var scripts []string
	for _, v := range breakouts {
		st.reset(&Event{Source: SourceWebhook, Trigger: "orders",
			Payload: map[string]any{"v": v, "e": "", "l": []any{v, v}, "o": map[string]any{"k": v}}}, nil)
		out, err := tp.render(st, false)
		if err != nil {
			return // the template refers to data the event lacks
		}
		scripts = append(scripts, out)
	}
	results, err := node.run(scripts, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	for i, printedLines := range results {
		for _, p := range printedLines {
			if p == injected { // the value printed whole reads differently
				t.Fatalf("template %q with value %q ran the value as code:\n%s\nprinted %q", src, breakouts[i], scripts[i], printedLines)
			}
		}
	}
}

// Hard-to-read templates either fail to load or keep every value inert.
func TestTrickyScriptsInNode(t *testing.T) {
	node := startNode(t)
	c := newCompiler(testEnv(t), &errorList{})
	st := newEvalState(newSet(nil, nil, nil, nil))
	for _, src := range append(trickyScripts, scriptSources()...) {
		checkNoBreakout(t, node, c, st, src)
	}
}

func scriptSources() []string {
	out := make([]string, len(scriptCases))
	for i, sc := range scriptCases {
		out[i] = sc.src
	}
	return out
}

// FuzzScriptTemplate fuzzes the author's side: any script template that
// loads is rendered with values that try to break out of their context,
// and run in node; the values must never run as code.
func FuzzScriptTemplate(f *testing.F) {
	for _, s := range append(trickyScripts, scriptSources()...) {
		f.Add(s)
	}
	node := startNode(f)
	c := newCompiler(testEnv(f), &errorList{})
	st := newEvalState(newSet(nil, nil, nil, nil))
	f.Fuzz(func(t *testing.T, src string) {
		checkNoBreakout(t, node, c, st, src)
	})
}

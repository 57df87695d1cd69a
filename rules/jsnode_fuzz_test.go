package rules

import (
	"strings"
	"testing"
	"time"
)

// injected is what the breakout values print when they run as code.
const injected = "INJECTED"

// breakouts try to end, from the value, every context an author's
// template can put it in, and run print("INJECTED").
var breakouts = []string{
	`";print("INJECTED");//`, `';print("INJECTED");//`, "`;print(\"INJECTED\");//",
	`${print("INJECTED")}`, `{print("INJECTED")}`, `*/print("INJECTED");/*`, "\nprint(\"INJECTED\")//",
	"\rprint(\"INJECTED\")//", "\u2028print(\"INJECTED\")//", `/;print("INJECTED");//`,
	`\";print("INJECTED");//`, `");print("INJECTED");("`, "`+print(\"INJECTED\")+`",
	`-->print("INJECTED")`, `<!--x` + "\nprint(\"INJECTED\")",
}

// FuzzScriptTemplate fuzzes the author's side: any script template that
// loads is rendered with values that try to break out of their context,
// and run in node; the values must never run as code.
func FuzzScriptTemplate(f *testing.F) {
	for _, sc := range scriptCases {
		f.Add(sc.src)
	}
	for _, s := range []string{
		"x = a / {{ .event.v }}; y = '{{ .event.v }}'", "x = /[/\"]/.test({{ .event.v }})",
		"if (x) /re'/.test(\"{{ .event.v }}\")", "y = (a) / 2 + \"{{ .event.v }}\"",
		"x = 'a\\\n{{ .event.v }}'", "x = {{ if .event.v }}\"{{ .event.v }}\"{{ else }}{{ .event.v }}{{ end }}",
		"x = [{{ range .event.l }}'{{ . }}', {{ end }}]", "return{{ .event.v }}", "x = 1-{{ .event.v }}",
		"x = `${`${'${ {{ .event.v }} }'}`}`", "a = b\n/{{ .event.v }}/g", "x = y++ / 2; '{{ .event.v }}'",
	} {
		f.Add(s)
	}
	node := startNode(f)
	errs := &errorList{}
	c := newCompiler(testEnv(f), errs)
	st := newEvalState(newSet(nil, nil, nil, nil))
	f.Fuzz(func(t *testing.T, src string) {
		if strings.Contains(src, injected) {
			return
		}
		errs.errs = nil
		tp := c.compileTemplate("r", "notify.script", src, valuePos{file: "f", line: 1, col: 1}, true, false)
		if tp == nil {
			return
		}
		var scripts []string
		for _, v := range breakouts {
			st.reset(&Event{Source: SourceWebhook, Trigger: "orders",
				Payload: map[string]any{"v": v, "l": []any{v, v}, "o": map[string]any{"k": v}}}, nil)
			out, err := tp.render(st, false)
			if err != nil {
				return // the fuzzed template refers to data the event lacks
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
	})
}

package rules

import (
	"strings"
	"testing"
)

// renderScript compiles src as a script template and renders it with
// payload; it returns the output or the load or render error.
func renderScript(t *testing.T, src string, payload any) string {
	t.Helper()
	errs := &errorList{}
	c := newCompiler(testEnv(t), errs)
	tp := c.compileTemplate("r", "notify.script", src, valuePos{file: "rules.yaml", line: 0, col: 1, block: true, indent: 1}, true, false)
	if tp == nil {
		return "load error: " + errs.err().Error()
	}
	set := newSet(nil, nil, nil, nil)
	st := newEvalState(set)
	st.reset(&Event{Source: SourceWebhook, Trigger: "orders", Payload: payload}, nil)
	out, err := tp.render(st, false)
	if err != nil {
		return "render error: " + err.Error()
	}
	if tp.fast != nil { // the fast path must agree with text/template
		slow := *tp
		slow.fast = nil
		if want, err := slow.render(st, false); err != nil || want != out {
			t.Errorf("%s: fast path %q, text/template %q, %v", src, out, want, err)
		}
	}
	return out
}

func TestScriptContexts(t *testing.T) {
	payload := map[string]any{"v": `a"b`, "n": 5, "m": -1, "l": []any{1, 2}}
	tests := []struct{ name, src, want string }{
		{"code", `print({{ .event.v }})`, `print("a\"b")`},
		{"double-quoted string", `print("<{{ .event.v }}>")`, `print("<a\u0022b>")`},
		{"single-quoted string", `print('<{{ .event.v }}>')`, `print('<a\u0022b>')`},
		{"template literal", "print(`<{{ .event.v }}>`)", "print(`<a\\u0022b>`)"},
		{"code in ${}", "print(`<${ {{ .event.v }} }>`)", "print(`<${ \"a\\\"b\" }>`)"},
		{"string in nested template literals", "print(`a${ `b${ \"{{ .event.v }}\" }` }c`)", "print(`a${ `b${ \"a\\u0022b\" }` }c`)"},
		{"template literal after ${}", "print(`${1}{{ .event.v }}`)", "print(`${1}a\\u0022b`)"},
		{"line comment", "// {{ .event.v }}\nprint({{ .event.v }})", "// \"a\\\"b\"\nprint(\"a\\\"b\")"},
		{"block comment", `/* {{ .event.v }} */ print('{{ .event.v }}')`, `/* "a\"b" */ print('a\u0022b')`},
		{"division", `x = a / {{ .event.n }}; y = '{{ .event.v }}'`, `x = a / 5; y = 'a\u0022b'`},
		{"regexp with a quote", `x = /re'/.test("{{ .event.v }}")`, `x = /re'/.test("a\u0022b")`},
		{"regexp class", `x = /[/"]/.test({{ .event.v }})`, `x = /[/"]/.test("a\"b")`},
		{"regexp after if (…)", `if (x) /re'/.test("{{ .event.v }}")`, `if (x) /re'/.test("a\u0022b")`},
		{"division after (…)", `y = (a) / 2 + "{{ .event.v }}"`, `y = (a) / 2 + "a\u0022b"`},
		{"escaped quote", `x = "it\"s {{ .event.v }}"`, `x = "it\"s a\u0022b"`},
		{"escaped backslash", `x = 'a\\' + {{ .event.v }}`, `x = 'a\\' + "a\"b"`},
		{"line continuation", "x = 'a\\\n{{ .event.v }}'", "x = 'a\\\na\\u0022b'"},
		{"HTML open comment", "x = 1 <!-- ' {{ .event.v }}\nprint({{ .event.v }})", "x = 1 <!-- ' \"a\\\"b\"\nprint(\"a\\\"b\")"},
		{"HTML close comment", "x = 1\n  --> ' {{ .event.v }}\nprint({{ .event.v }})", "x = 1\n  --> ' \"a\\\"b\"\nprint(\"a\\\"b\")"},
		{"decrement is no comment", `x = a-->"{{ .event.v }}"`, `x = a-->"a\u0022b"`},
		{"hashbang", "#!/bin/node '\nprint({{ .event.v }})", "#!/bin/node '\nprint(\"a\\\"b\")"},
		{"regexp flags", `x = /a/gi; y = "{{ .event.v }}"`, `x = /a/gi; y = "a\u0022b"`},
		{"word before a number", `return{{ .event.n }}`, `return 5`},
		{"number before a dot", `x = {{ .event.n }}.toFixed(1)`, `x = 5 .toFixed(1)`},
		{"minus before a negative number", `x = 1-{{ .event.m }}`, `x = 1- -1`},
		{"number between actions", `{{ .event.n }}{{ .event.n }}`, `5  5`},
		{"branches", `x = {{ if .event.n }}"{{ .event.v }}"{{ else }}{{ .event.v }}{{ end }}`, `x = "a\u0022b"`},
		{"range", `x = [{{ range .event.l }}'{{ . }}', {{ end }}]`, `x = ['1', '2', ]`},
		{"range in a string", `x = "{{ range .event.l }}{{ . }}{{ end }}"`, `x = "12"`},
		{"objects and lists", `x = {{ .event }}; y = {{ .event.l }}`, `x = ({"l":[1,2],"m":-1,"n":5,"v":"a\"b"}); y = [1,2]`},
		{"an object at a statement's start", "{{ .event }}\n/2; '{{ .event.v }}'", "({\"l\":[1,2],\"m\":-1,\"n\":5,\"v\":\"a\\\"b\"})\n/2; 'a\\u0022b'"},
		{"unary plus after plus", `x = a+ +/"/.source; {{ .event.v }}`, `x = a+ +/"/.source; "a\"b"`},
		{"increment", `x = a++ /"/ 1; {{ .event.v }}`, `x = a++ /"/ 1; a\u0022b`},
		{"prefix decrement in ${}", "x = `${ --/}/.source + {{ .event.v }} }`", "x = `${ --/}/.source + \"a\\\"b\" }`"},
		{"prefix increment", `x = ++/"/.lastIndex; {{ .event.v }}`, `x = ++/"/.lastIndex; "a\"b"`},
		{"decrement after a line break", "x = a\n--/'/.lastIndex; {{ .event.v }}", "x = a\n--/'/.lastIndex; \"a\\\"b\""},
		{"postfix then plus", `x = a+++/"/.source; {{ .event.v }}`, `x = a+++/"/.source; "a\"b"`},
		{"keyword as a property", `x = a.return /"/ 1; {{ .event.v }}`, `x = a.return /"/ 1; a\u0022b`},
		{"regexp in ${}", "x = `${ /}/.source + {{ .event.v }} }`", "x = `${ /}/.source + \"a\\\"b\" }`"},
		{"block comment before -->", "/* a\n*/ --> \"\nx = {{ .event.v }}", "/* a\n*/ --> \"\nx = \"a\\\"b\""},
		{"for await", "for await (x of y) /'/.test(x); '{{ .event.v }}'", "for await (x of y) /'/.test(x); 'a\\u0022b'"},

		{"regexp", `x = /{{ .event.v }}/`, "load error: rules.yaml:1:6: notify.script: values cannot be interpolated into a regular expression literal; build it with new RegExp(…) from a string"},
		{"slash after a block", "if (x) {}\n/re'/.test(1); '{{ .event.v }}'", `load error: rules.yaml:2:2: notify.script: '/' where JavaScript may read a division or a regular expression (after '}' or a '++' or '--' after it, yield, await, of, or where {{if}} branches end differently); add parentheses`},
		{"increment after a block", "if (x) {} ++/re'/.x; '{{ .event.v }}'", `load error: rules.yaml:1:14: notify.script: '/' where JavaScript may read a division or a regular expression (after '}' or a '++' or '--' after it, yield, await, of, or where {{if}} branches end differently); add parentheses`},
		{"slash after branches", `{{ if .event.n }}a{{ end }}/re/`, `load error: rules.yaml:1:29: notify.script: '/' where JavaScript may read a division or a regular expression (after '}' or a '++' or '--' after it, yield, await, of, or where {{if}} branches end differently); add parentheses`},
		{"branch opens a string", `x = {{ if .event.n }}"{{ end }}a"`, "load error: rules.yaml:1:5: notify.script: the {{if}} body ends in a \"…\" string but starts in code: each branch must end in the context it starts in"},
		{"else closes a string", `x = "{{ if .event.n }}a{{ else }}"{{ end }}`, "load error: rules.yaml:1:6: notify.script: the {{if}}…{{else}} body ends in code but starts in a \"…\" string: each branch must end in the context it starts in"},
		{"range opens a comment", `{{ range .event.l }}/*{{ end }}`, "load error: rules.yaml:1:1: notify.script: the {{range}} body ends in a /* */ comment but starts in code: each branch must end in the context it starts in"},
		{"break inside a string", `{{ range .event.l }}"{{ break }}"{{ end }}`, "load error: rules.yaml:1:22: notify.script: {{break}} in a \"…\" string, but the {{range}} body starts in code"},
		{"word split by a branch", `x = a{{ if .event.n }}b{{ end }}`, "load error: rules.yaml:1:23: notify.script: a word split by {{if}}, {{else}}, {{range}} or {{end}}: keep each word whole inside or outside the branch"},
		{"hashbang in a branch", "{{ if .event.n }}#!x\n{{ end }}", "load error: rules.yaml:1:18: notify.script: #! at the start of a {{if}}, {{range}} or {{with}} body: a script may start with #! only outside them"},
		{"dollar, empty value, brace", "x = `${{ .event.e }}{ 1 }`", "load error: rules.yaml:1:21: notify.script: a value that may be empty between a '\\' or '$' and this character: the script would read differently when it is; move the value or the character"},
		{"backslash, empty value, quote", `x = "\{{ .event.e }}"`, "load error: rules.yaml:1:21: notify.script: a value that may be empty between a '\\' or '$' and this character: the script would read differently when it is; move the value or the character"},
		{"dollar before a value", "x = `Total: ${{ .event.n }}.`", "x = `Total: $5.`"},
		{"backslash before a value", `x = "\{{ .event.v }}a"`, `x = "\a\u0022ba"`},
		{"line break in a string", "x = 'a\nb'", "load error: rules.yaml:1:7: notify.script: a line break inside a string literal: the string is not closed on its line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := renderScript(t, tt.src, payload); got != tt.want {
				t.Errorf("%s\n got %s\nwant %s", tt.src, got, tt.want)
			}
		})
	}
}

// Text messages and dedup keys are not JavaScript.
func TestTextIsNotScanned(t *testing.T) {
	s := mustLoad(t, `
rules:
  - name: a
    on: {webhook: orders}
    notify: {channel: slack, to: '"a"', text: "it's {{ .event.v }} /{{ .event.v }}/"}
    dedup: {key: "'{{ .event.v }}"}
`)
	res := s.Evaluate(&Event{Source: SourceWebhook, Trigger: "orders", Payload: map[string]any{"v": `"x"`}})
	if len(res.Notifications) != 1 || res.Notifications[0].Message != `it's "x" /"x"/` || res.Notifications[0].DedupKey != `'"x"` {
		t.Errorf("%+v", res)
	}
	if !strings.Contains(s.rules[0].Message, "it's") {
		t.Error("message changed")
	}
}

package rules

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// nodeProgram runs batches of scripts: each stdin line is a JSON object
// {"scripts": [...], "timeout": ms}, answered on stdout by a JSON list of
// what each script printed (print is the global the batch starts with,
// besides pwn, which prints INJECTED for values that try to run it), with
// "ERROR name" for an exception.
const nodeProgram = `
const vm = require("vm");
const rl = require("readline").createInterface({input: process.stdin});
rl.on("line", (line) => {
  const batch = JSON.parse(line);
  let out;
  const ctx = vm.createContext({
    print: (...a) => out.push(a.map(String).join(" ")),
    pwn: () => out.push("INJECTED"),
  });
  const results = batch.scripts.map((src) => {
    out = [];
    try {
      new vm.Script(src).runInContext(ctx, batch.timeout > 0 ? {timeout: batch.timeout} : {});
    } catch (e) {
      out.push("ERROR " + (e && e.name));
    }
    return out;
  });
  process.stdout.write(JSON.stringify(results) + "\n");
});
`

// nodeRunner is a node process that runs scripts in batches.
type nodeRunner struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// startNode starts node, skipping the test when it is not installed
// (failing instead when KORELAY_REQUIRE_NODE=1).
func startNode(tb testing.TB) *nodeRunner {
	tb.Helper()
	path, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("KORELAY_REQUIRE_NODE") == "1" {
			tb.Fatalf("node is required (KORELAY_REQUIRE_NODE=1): %v", err)
		}
		tb.Skipf("node not found: %v", err)
	}
	cmd := exec.Command(path, "-e", nodeProgram)
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		in.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return &nodeRunner{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}
}

// run runs scripts, each for at most timeout (0: no limit, for scripts
// without loops), and returns what each printed.
func (n *nodeRunner) run(scripts []string, timeout time.Duration) ([][]string, error) {
	line, err := json.Marshal(map[string]any{"scripts": scripts, "timeout": timeout.Milliseconds()})
	if err != nil {
		return nil, err
	}
	if _, err := n.in.Write(append(line, '\n')); err != nil {
		return nil, fmt.Errorf("write to node: %w", err)
	}
	reply, err := n.out.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("read from node: %w", err)
	}
	var results [][]string
	if err := json.Unmarshal(reply, &results); err != nil {
		return nil, fmt.Errorf("node replied %q: %w", reply, err)
	}
	if len(results) != len(scripts) {
		return nil, fmt.Errorf("node ran %d scripts of %d", len(results), len(scripts))
	}
	return results, nil
}

// scriptCase is a script template with a value interpolated in one
// context, and what it must print for that value.
type scriptCase struct {
	name, src string
	want      func(v string) []string
	// mayFail: a syntax error is acceptable (the author's backslash
	// before the value makes an escape of its first character).
	mayFail bool
}

func printed(format string) func(string) []string {
	return func(v string) []string { return []string{strings.ReplaceAll(format, "V", v)} }
}

// scriptCases cover every context a value can be interpolated into.
var scriptCases = []scriptCase{
	{"code", `print({{ .event.v }})`, printed("V"), false},
	{"double-quoted", `print("<{{ .event.v }}>")`, printed("<V>"), false},
	{"single-quoted", `print('<{{ .event.v }}>')`, printed("<V>"), false},
	{"template literal", "print(`<{{ .event.v }}>`)", printed("<V>"), false},
	{"after a dollar", "print(`$${1}${{ .event.v }}$`)", printed("$1$V$"), false},
	{"code in ${}", "print(`<${ {{ .event.v }} }>`)", printed("<V>"), false},
	{"nested template literals", "print(`a${ `b${ '{{ .event.v }}' }` }c`)", printed("abVc"), false},
	{"template literal in an object in ${}", "print(`${ {a: `{{ .event.v }}`}.a }`)", printed("V"), false},
	{"three strings", "print(\"{{ .event.v }}\" + '{{ .event.v }}' + `{{ .event.v }}`)", printed("VVV"), false},
	{"line comment", "// {{ .event.v }}\nprint('ok')", printed("ok"), false},
	{"block comment", "/* {{ .event.v }} */ print('ok')", printed("ok"), false},
	{"HTML open comment", "x = 1 <!-- ` {{ .event.v }}\nprint('ok')", printed("ok"), false},
	{"HTML close comment", "x = 1\n  --> ` {{ .event.v }}\nprint('ok')", printed("ok"), false},
	{"after a regexp", "print(/'/.test(\"'\") + '{{ .event.v }}')", printed("trueV"), false},
	{"regexp after if", "if (1) /`/.test('`'); print(\"{{ .event.v }}\")", printed("V"), false},
	{"division", "print(String((6)/2) + `{{ .event.v }}`)", printed("3V"), false},
	{"escaped backslash", `print("\\{{ .event.v }}")`, printed(`\V`), false},
	{"author's backslash", `print('\{{ .event.v }}x'.length >= 0 ? 'ok' : 'no')`, printed("ok"), true},
	{"range", "print([{{ range .event.l }}'{{ . }}',{{ end }}].join('|'))", printed("V|V"), false},
	{"branches", "print({{ if .event.v }}`{{ .event.v }}`{{ else }}'empty'{{ end }})", func(v string) []string {
		if v == "" {
			return []string{"empty"}
		}
		return []string{v}
	}, false},
	{"object", "print(JSON.stringify({{ .event.o }}) === JSON.stringify({k: {{ .event.v }}}) ? 'same' : 'differs')", printed("same"), false},
	{"hashbang", "#!/usr/bin/env node `\nprint(`{{ .event.v }}`)", printed("V"), false},
}

// compileScriptCases compiles scriptCases.
func compileScriptCases(tb testing.TB) []*tmpl {
	tb.Helper()
	errs := &errorList{}
	c := newCompiler(testEnv(tb), errs)
	tmpls := make([]*tmpl, len(scriptCases))
	for i, sc := range scriptCases {
		tmpls[i] = c.compileTemplate("r", "notify.script", sc.src, valuePos{file: "f", line: 1, col: 1}, true, false)
		if tmpls[i] == nil {
			tb.Fatalf("%s: %v", sc.name, errs.err())
		}
	}
	return tmpls
}

// renderScriptCases renders every case with value v.
func renderScriptCases(tb testing.TB, tmpls []*tmpl, st *evalState, v string) []string {
	tb.Helper()
	st.reset(&Event{Source: SourceWebhook, Trigger: "orders",
		Payload: map[string]any{"v": v, "o": map[string]any{"k": v}, "l": []any{v, v}}}, nil)
	out := make([]string, len(tmpls))
	for i, tp := range tmpls {
		s, err := tp.render(st, false)
		if err != nil {
			tb.Fatalf("%s: render %q: %v", scriptCases[i].name, v, err)
		}
		out[i] = s
	}
	return out
}

// checkScriptResults compares what node printed with the cases' wants.
func checkScriptResults(t *testing.T, v string, scripts []string, results [][]string) {
	t.Helper()
	want := string([]rune(v)) // each invalid UTF-8 byte reads as U+FFFD
	for i, sc := range scriptCases {
		got := results[len(results)-len(scriptCases)+i]
		if sc.mayFail && len(got) == 1 && got[0] == "ERROR SyntaxError" {
			continue
		}
		if w := sc.want(want); strings.Join(got, "\x00") != strings.Join(w, "\x00") {
			t.Errorf("%s with %q:\nscript %s\nprinted %q, want %q", sc.name, v, scripts[len(scripts)-len(scriptCases)+i], got, w)
		}
	}
}

// hostileValues try to end every context a value can be in.
var hostileValues = []string{
	"", "plain", `"); print("pwned`, `'); print('pwned`, "`); print(`pwned", "${print('pwned')}",
	"{print('pwned')}", "$", "\\", `\"`, `\'`, "\\`", "\\${print(1)}", "</script><script>print('pwned')</script>",
	"<!-- print('pwned')", "--> print('pwned')", "*/ print('pwned') /*", "\n print('pwned') //",
	"\r print('pwned')", "\u2028 print('pwned')", "\u2029", "\x00\x01\x1f\x7f", "a\xffb\xc3",
	"é ü 😀 \u202e", "/", "//", "/*", "*/", "/re/", "${", "}", "{", "`", "'", `"`, "\\u0022", "\\x22",
	"-1", "1e3", "true", "null", "__proto__", "constructor", "{{", "%!d(MISSING)",
	"+pwn()+", `"+pwn()+"`, `'+pwn()+'`, "`+pwn()+`", "${pwn()}", ");pwn();(",
}

// Every hostile value in every context prints exactly itself, and no
// more, in node; all in one node process.
func TestScriptsRunInNode(t *testing.T) {
	node := startNode(t)
	tmpls := compileScriptCases(t)
	st := newEvalState(newSet(nil, nil, nil, nil))
	var scripts []string
	for _, v := range hostileValues {
		scripts = append(scripts, renderScriptCases(t, tmpls, st, v)...)
	}
	results, err := node.run(scripts, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range hostileValues {
		n := len(scriptCases)
		checkScriptResults(t, v, scripts[i*n:(i+1)*n], results[i*n:(i+1)*n])
	}
}

// FuzzScriptNode renders fuzzed values into every context and runs the
// scripts in node: each must print exactly the value.
func FuzzScriptNode(f *testing.F) {
	for _, v := range hostileValues {
		f.Add(v)
	}
	node := startNode(f)
	tmpls := compileScriptCases(f)
	st := newEvalState(newSet(nil, nil, nil, nil))
	f.Fuzz(func(t *testing.T, v string) {
		scripts := renderScriptCases(t, tmpls, st, v)
		results, err := node.run(scripts, 0) // a value that loops is a hang the fuzzer reports
		if err != nil {
			t.Fatal(err)
		}
		checkScriptResults(t, v, scripts, results)
	})
}

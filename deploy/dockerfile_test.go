package deploy_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line  int      // where it starts
	cmd   string   // upper case: FROM, RUN, COPY, ...
	flags []string // leading --name=value options
	args  []string // the exec form's elements, or the shell form split on spaces
	exec  bool     // written in exec (JSON) form
	text  string   // everything after the keyword, as written
}

// stage is one FROM and what follows it.
type stage struct {
	image, name string
	insts       []instruction
}

// find returns the stage's instructions named cmd, in order.
func (s stage) find(cmd string) []instruction {
	var out []instruction
	for _, in := range s.insts {
		if in.cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// last returns the stage's last instruction named cmd.
func (s stage) last(t *testing.T, cmd string) instruction {
	t.Helper()
	all := s.find(cmd)
	if len(all) == 0 {
		t.Fatalf("Dockerfile: the %s stage has no %s", s.image, cmd)
	}
	return all[len(all)-1]
}

// parseDockerfile reads a Dockerfile into its stages: comments dropped,
// lines ending in a backslash joined with the next.
func parseDockerfile(t *testing.T, path string) []stage {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stages []stage
	var pending strings.Builder
	start := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if pending.Len() == 0 {
			start = n
		}
		if body, ok := strings.CutSuffix(line, `\`); ok {
			pending.WriteString(body + " ")
			continue
		}
		pending.WriteString(line)
		in, err := parseInstruction(start, pending.String())
		if err != nil {
			t.Fatalf("%s:%d: %v", path, start, err)
		}
		pending.Reset()
		stages = addInstruction(t, stages, in)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return stages
}

func addInstruction(t *testing.T, stages []stage, in instruction) []stage {
	t.Helper()
	if in.cmd != "FROM" {
		if len(stages) == 0 {
			t.Fatalf("Dockerfile:%d: %s before the first FROM", in.line, in.cmd)
		}
		stages[len(stages)-1].insts = append(stages[len(stages)-1].insts, in)
		return stages
	}
	s := stage{image: in.args[0]}
	if len(in.args) == 3 && strings.EqualFold(in.args[1], "AS") {
		s.name = in.args[2]
	}
	return append(stages, s)
}

func parseInstruction(line int, text string) (instruction, error) {
	cmd, rest, _ := strings.Cut(text, " ")
	in := instruction{line: line, cmd: strings.ToUpper(cmd)}
	rest = strings.TrimSpace(rest)
	for strings.HasPrefix(rest, "--") {
		var flag string
		flag, rest, _ = strings.Cut(rest, " ")
		in.flags = append(in.flags, flag)
		rest = strings.TrimSpace(rest)
	}
	if in.cmd == "HEALTHCHECK" {
		var sub string
		sub, rest, _ = strings.Cut(rest, " ")
		in.flags = append(in.flags, strings.ToUpper(sub)) // CMD or NONE
		rest = strings.TrimSpace(rest)
	}
	in.text = rest
	if strings.HasPrefix(rest, "[") {
		if err := json.Unmarshal([]byte(rest), &in.args); err != nil {
			return in, fmt.Errorf("%s: exec form is not a JSON list of strings: %v", in.cmd, err)
		}
		in.exec = true
		return in, nil
	}
	in.args = strings.Fields(rest)
	if len(in.args) == 0 {
		return in, fmt.Errorf("%s without arguments", in.cmd)
	}
	return in, nil
}

// flag returns the value of --name=value among the instruction's flags.
func (in instruction) flag(name string) (string, bool) {
	for _, f := range in.flags {
		if v, ok := strings.CutPrefix(f, "--"+name+"="); ok {
			return v, true
		}
	}
	return "", false
}

func TestParseDockerfile(t *testing.T) {
	path := t.TempDir() + "/Dockerfile"
	text := "# syntax=docker/dockerfile:1\nFROM golang AS build\n" +
		"RUN a \\\n  # a comment inside\n  b\n" +
		"FROM scratch\nCOPY --from=build --chown=1:1 /a /b\n" +
		"HEALTHCHECK --interval=5s CMD [\"/x\", \"y\"]\nUSER 1\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	stages := parseDockerfile(t, path)
	if len(stages) != 2 || stages[0].name != "build" || stages[1].image != "scratch" {
		t.Fatalf("stages = %+v", stages)
	}
	if run := stages[0].last(t, "RUN"); strings.Join(run.args, " ") != "a b" || run.line != 3 {
		t.Errorf("RUN = %+v, want a b at line 3", run)
	}
	cp := stages[1].last(t, "COPY")
	if from, _ := cp.flag("from"); from != "build" || strings.Join(cp.args, " ") != "/a /b" {
		t.Errorf("COPY = %+v", cp)
	}
	hc := stages[1].last(t, "HEALTHCHECK")
	if !hc.exec || strings.Join(hc.args, " ") != "/x y" || hc.flags[len(hc.flags)-1] != "CMD" {
		t.Errorf("HEALTHCHECK = %+v", hc)
	}
}

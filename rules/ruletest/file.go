package ruletest

import (
	"errors"
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/korelay/korelay/internal/yamlerr"

	"github.com/korelay/korelay/rules"
)

// Case is one rule unit test.
type Case struct {
	Name string
	// On is the trigger: nats:SUBJECT, webhook:NAME or cron:RULE.
	On string
	// Event is the payload; Headers the message headers.
	Event   any
	Headers map[string]string
	// Now is the time the case runs at (default: the time the run started).
	Now time.Time
	// Expect lists every notification the rules must produce, in any order.
	Expect []Expectation
	// File and Line locate the case.
	File string
	Line int
}

// Expectation is one expected notification (or one expected failure).
type Expectation struct {
	Rule    string   `yaml:"rule"`
	Channel string   `yaml:"channel"`
	To      []string `yaml:"to"`
	Text    *string  `yaml:"text"`
	Script  *string  `yaml:"script"`
	Mode    string   `yaml:"mode"`
	Dedup   *string  `yaml:"dedup"`
	// At expects the notification to be held (quiet hours, digest) and
	// released at this time.
	At *time.Time `yaml:"at"`
	// Devices expects a devices action; its empty fields match anything.
	Devices *DevicesExpectation `yaml:"devices"`
	// Error expects the rule to fail for this event, with this text in
	// the error.
	Error string `yaml:"error"`
}

// DevicesExpectation is an expected device action.
type DevicesExpectation struct {
	Action string `yaml:"action"`
	User   string `yaml:"user"`
	Device string `yaml:"device"`
	OS     string `yaml:"os"`
}

// MaxFileSize bounds a test file.
const MaxFileSize = 8 << 20

// LoadFile reads one test file. Errors carry file:line:col.
func LoadFile(path string) ([]Case, error) {
	data, err := rules.ReadFile(path, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("read test file: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes test-file text as if read from path.
func Parse(path string, data []byte) ([]Case, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %s", path, yamlerr.Message(err))
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: the test file is empty", path)
	}
	p := &parser{path: path}
	cases := p.cases(doc.Content[0])
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return cases, nil
}

type parser struct {
	path string
	errs []error
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, fmt.Errorf("%s:%d:%d: %s", p.path, n.Line, n.Column, fmt.Sprintf(format, args...)))
}

func (p *parser) cases(root *yaml.Node) []Case {
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "want a mapping with a tests: list")
		return nil
	}
	var cases []Case
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		if key.Value != "tests" {
			p.errorf(key, "unknown key %q (want tests)", key.Value)
			continue
		}
		if val.Kind != yaml.SequenceNode {
			p.errorf(val, "tests: want a list of test cases")
			continue
		}
		for _, item := range val.Content {
			if c, ok := p.testCase(item); ok {
				cases = append(cases, c)
			}
		}
	}
	if len(cases) == 0 && len(p.errs) == 0 {
		p.errorf(root, "no test cases")
	}
	return cases
}

func (p *parser) testCase(n *yaml.Node) (Case, bool) {
	c := Case{File: p.path, Line: n.Line}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "a test case is a mapping with name, on, event and expect")
		return c, false
	}
	before := len(p.errs)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		seen[key.Value] = true
		p.caseField(&c, key, val)
	}
	for _, req := range []string{"name", "on", "expect"} {
		if !seen[req] {
			p.errorf(n, "test case: %s is required", req)
		}
	}
	return c, len(p.errs) == before
}

func (p *parser) caseField(c *Case, key, val *yaml.Node) {
	var err error
	switch key.Value {
	case "name":
		err = val.Decode(&c.Name)
	case "on":
		err = val.Decode(&c.On)
	case "event":
		err = val.Decode(&c.Event)
		c.Event = rules.Normalize(c.Event)
	case "headers":
		err = val.Decode(&c.Headers)
	case "now":
		err = val.Decode(&c.Now)
	case "expect":
		c.Expect = p.expectations(val)
	default:
		p.errorf(key, "unknown key %q (known: name, on, event, headers, now, expect)", key.Value)
	}
	if err != nil {
		p.errorf(val, "%s: %s", key.Value, yamlerr.Message(err))
	}
}

var expectationKeys = map[string]bool{"rule": true, "channel": true, "to": true, "text": true, "script": true, "mode": true,
	"dedup": true, "at": true, "devices": true, "error": true}

func (p *parser) expectations(n *yaml.Node) []Expectation {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "expect: want a list (use [] for no notifications)")
		return nil
	}
	out := make([]Expectation, 0, len(n.Content))
	for _, item := range n.Content {
		if item.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(item.Content); i += 2 {
				if k := item.Content[i]; !expectationKeys[k.Value] {
					p.errorf(k, "expect: unknown key %q (known: rule, channel, to, text, script, mode, dedup, at, devices, error)", k.Value)
				}
			}
		}
		var e Expectation
		if err := item.Decode(&e); err != nil {
			p.errorf(item, "expect: %s", yamlerr.Message(err))
			continue
		}
		if e.Rule == "" {
			p.errorf(item, "expect: rule is required")
		}
		out = append(out, e)
	}
	return out
}

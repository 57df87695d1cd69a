package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Env is what rules may refer to from the config.
type Env struct {
	// Webhooks are the names of the configured webhooks; on.webhook must
	// name one.
	Webhooks map[string]bool
	// Groups are the config's groups: name → identities.
	Groups map[string][]string
	// Datasets maps a dataset name to an absolute file path (YAML, JSON or
	// CSV; a CSV's header row gives the keys).
	Datasets map[string]string
	// Now is the clock for `now`; nil means time.Now.
	Now func() time.Time
}

// LoadGlobs expands globs relative to baseDir (absolute globs stay as they
// are) and loads the files they match, in order, each once. A glob that
// matches no file is an error.
func LoadGlobs(baseDir string, globs []string, env Env) (*Set, error) {
	var paths, seen []string
	var errs []error
	for _, g := range globs {
		pattern := g
		if !filepath.IsAbs(pattern) {
			pattern = filepath.Join(baseDir, pattern)
		}
		matches, err := filepath.Glob(pattern)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("rules glob %q: %w", g, err))
		case len(matches) == 0:
			errs = append(errs, fmt.Errorf("rules glob %q matches no files", g))
		}
		for _, m := range matches {
			if !slices.Contains(seen, m) {
				seen = append(seen, m)
				paths = append(paths, m)
			}
		}
	}
	set, err := Load(paths, env)
	if err != nil || len(errs) > 0 {
		return nil, errors.Join(append(errs, err)...)
	}
	return set, nil
}

// Load reads, validates and compiles the rule files at paths and the
// datasets of env. It reports every problem, not only the first: the
// error joins (errors.Join) one *Error per problem, each formatted as
// "file:line:col: message" and sorted by file and position.
func Load(paths []string, env Env) (*Set, error) {
	errs := &errorList{}
	c := newCompiler(env, errs)
	data, dataFiles := loadDatasets(env.Datasets, errs)
	var nodes []*ruleNode
	var files []string
	for _, p := range paths {
		if slices.Contains(files, p) {
			continue
		}
		files = append(files, p)
		src, err := ReadFile(p, MaxRuleFileSize)
		if err != nil {
			errs.addErr(pos{file: p, line: 1, col: 1}, err, "read rule file: %v", errors.Unwrap(err))
			continue
		}
		nodes = append(nodes, c.loadFile(p, src)...)
	}
	rules := uniqueRules(nodes, errs)
	if err := errs.err(); err != nil {
		return nil, err
	}
	return newSet(rules, append(files, dataFiles...), data, env.Now), nil
}

// uniqueRules reports rules whose name was used before and returns the
// rules sorted by name.
func uniqueRules(nodes []*ruleNode, errs *errorList) []*Rule {
	first := make(map[string]*ruleNode, len(nodes))
	rules := make([]*Rule, 0, len(nodes))
	for _, n := range nodes {
		if prev, dup := first[n.rule.Name]; dup {
			errs.add(n.nameAt, "duplicate rule name %q (first defined at %s)", n.rule.Name, prev.nameAt)
			continue
		}
		first[n.rule.Name] = n
		rules = append(rules, n.rule)
	}
	slices.SortFunc(rules, func(a, b *Rule) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return rules
}

// newSet indexes compiled rules.
func newSet(rules []*Rule, files []string, data map[string]any, now func() time.Time) *Set {
	if now == nil {
		now = time.Now
	}
	s := &Set{rules: rules, byName: make(map[string]*Rule, len(rules)), files: files, data: data, now: now, noHeaders: map[string]string{}}
	for i, r := range rules {
		r.index = i
		s.byName[r.Name] = r
	}
	s.index = newIndex(rules)
	s.states.New = func() any { return newEvalState(s) }
	return s
}

// loadFile parses one rule file and compiles its rules.
func (c *compiler) loadFile(name string, src []byte) []*ruleNode {
	f := newFileCtx(name, src, c.errs)
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			c.errs.add(pos{file: name, line: 1, col: 1}, "empty rule file: expected a \"rules:\" list")
		} else {
			c.yamlError(name, err)
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		f.errorf(&extra, "a rule file holds one YAML document; put all rules in its \"rules:\" list")
	} else if !errors.Is(err, io.EOF) {
		c.yamlError(name, err)
	}
	root := resolve(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		c.errs.add(pos{file: name, line: 1, col: 1}, "empty rule file: expected a \"rules:\" list")
		return nil
	}
	fields, ok := f.mapping(root, "rule file", "rules")
	if !ok {
		return nil
	}
	fd, ok := fields["rules"]
	if !ok {
		f.errorf(root, "rule file: missing required key \"rules\"")
		return nil
	}
	list := resolve(fd.val)
	switch {
	case list.Kind != yaml.SequenceNode:
		f.errorf(list, "rules: expected a list of rules, found %s", describe(list))
		return nil
	case len(list.Content) == 0:
		f.errorf(list, "rules: empty list")
		return nil
	}
	var out []*ruleNode
	for _, n := range list.Content {
		if rn := c.compileRule(f, n); rn != nil {
			out = append(out, rn)
		}
	}
	return out
}

// yamlLineRE finds the line in yaml.v3's syntax errors ("yaml: line 3: ...").
var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlParserProblems are the problems yaml.v3's parser (not its scanner)
// reports. For these it prints a 0-based line, and no line for the first.
var yamlParserProblems = []string{
	"did not find expected ',' or ']'", "did not find expected ',' or '}'",
	"did not find expected '-' indicator", "did not find expected <document start>",
	"did not find expected <stream-start>", "did not find expected key",
	"did not find expected node content", "found duplicate %TAG directive",
	"found duplicate %YAML directive", "found incompatible YAML document",
	"found undefined tag handle",
}

// yamlErrorPos returns the 1-based line and the message of a yaml.v3
// syntax error. yaml.v3 gives no column, and omits the line when it is the
// first, so the column is always 1.
func yamlErrorPos(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if slices.Contains(yamlParserProblems, msg) {
			line++
		}
	}
	return line, msg
}

// yamlError reports a YAML syntax error.
func (c *compiler) yamlError(name string, err error) {
	line, msg := yamlErrorPos(err)
	c.errs.addErr(pos{file: name, line: line, col: 1}, err, "YAML syntax error: %s", msg)
}

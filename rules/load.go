package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/korelay/korelay/internal/yamlerr"
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
	// DatasetPos maps a dataset name to the "file:line:col" of the config
	// key naming it. A dataset file that does not exist or cannot be read
	// is reported there ("korelay.yaml:14:3: datasets.employees: open
	// data/missing.csv: no such file or directory"); without a position it
	// is reported at line 1 of the file itself. Errors inside a file that
	// was read are always reported in that file.
	DatasetPos map[string]string
	// Now is the clock for `now`; nil means time.Now.
	Now func() time.Time
}

// LoadGlobs expands globs relative to baseDir (absolute globs stay as they
// are) and loads the files they match, in order, each once. A glob that
// matches no file is an error. Errors name a file under the working
// directory by its path relative to it, as the user would write it, and
// any other file by its absolute path; Set.Files gives the paths read.
func LoadGlobs(baseDir string, globs []string, env Env) (*Set, error) {
	var paths []string
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
		paths = append(paths, matches...)
	}
	shown := displayPaths()
	sources := make([]source, len(paths))
	for i, p := range paths {
		sources[i] = source{path: p, name: shown(p)}
	}
	set, err := load(sources, env, shown)
	if err != nil || len(errs) > 0 {
		return nil, errors.Join(append(errs, err)...)
	}
	return set, nil
}

// Load reads, validates and compiles the rule files at paths and the
// datasets of env. It reports every problem, not only the first: the
// error joins (errors.Join) one *Error per problem, each formatted as
// "file:line:col: message" and sorted by file and position. Rule files
// are named as given in paths.
func Load(paths []string, env Env) (*Set, error) {
	sources := make([]source, len(paths))
	for i, p := range paths {
		sources[i] = source{path: p, name: p}
	}
	return load(sources, env, displayPaths())
}

// source is a rule file: the path read and the name errors give it.
type source struct {
	path, name string
}

// load loads rule files; shown names dataset files in errors.
func load(sources []source, env Env, shown func(string) string) (*Set, error) {
	errs := &errorList{}
	c := newCompiler(env, errs)
	data, dataFiles := loadDatasets(env, shown, errs)
	var nodes []*ruleNode
	var files []string
	for _, src := range sources {
		if slices.Contains(files, src.path) {
			continue
		}
		files = append(files, src.path)
		text, err := ReadFile(src.path, MaxRuleFileSize)
		if err != nil {
			errs.addErr(pos{file: src.name, line: 1, col: 1}, err, "read rule file: %v", errors.Unwrap(err))
			continue
		}
		nodes = append(nodes, c.loadFile(src.name, text)...)
	}
	rules := uniqueRules(nodes, errs)
	if err := errs.err(); err != nil {
		return nil, err
	}
	return newSet(rules, append(files, dataFiles...), data, env.Now), nil
}

// displayPaths returns a function naming a file for messages: relative to
// the working directory when the file is under it, else as given.
func displayPaths() func(string) string {
	wd, err := os.Getwd()
	return func(p string) string {
		if err != nil || !filepath.IsAbs(p) {
			return p
		}
		rel, err := filepath.Rel(wd, p)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return p
		}
		return rel
	}
}

// uniqueRules reports rules whose name was used before, including rules
// with other errors, and returns the rules without errors sorted by name.
func uniqueRules(nodes []*ruleNode, errs *errorList) []*Rule {
	first := make(map[string]*ruleNode, len(nodes))
	rules := make([]*Rule, 0, len(nodes))
	for _, n := range nodes {
		if n.rule.Name != "" {
			if prev, dup := first[n.rule.Name]; dup {
				errs.add(n.nameAt, "duplicate rule name %q (first defined at %s)", n.rule.Name, prev.nameAt)
				continue
			}
			first[n.rule.Name] = n
		}
		if n.ok {
			rules = append(rules, n.rule)
		}
	}
	slices.SortFunc(rules, func(a, b *Rule) int { return strings.Compare(a.Name, b.Name) })
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
		if r.need == nil { // not compiled from a rule file: read it all
			r.need = &need{all: true}
			r.firstNeed = r.need
		}
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
			c.yamlError(name, src, err)
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		f.errorf(&extra, "a rule file holds one YAML document; put all rules in its \"rules:\" list")
	} else if !errors.Is(err, io.EOF) {
		c.yamlError(name, src, err)
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

// yamlError reports a YAML syntax error in src.
func (c *compiler) yamlError(name string, src []byte, err error) {
	line, col, msg := yamlSyntax(src, err)
	c.errs.addErr(pos{file: name, line: line, col: col}, err, "%s", msg)
}

// yamlSyntax locates yaml.v3's syntax error err in src (see
// yamlerr.Locate) and words it for rule and dataset files: "YAML syntax
// error: ...", or yamlerr.TabInIndentation as it is.
func yamlSyntax(src []byte, err error) (line, col int, msg string) {
	line, col, msg = yamlerr.Locate(src, err)
	if msg != yamlerr.TabInIndentation {
		msg = "YAML syntax error: " + msg
	}
	return line, col, msg
}

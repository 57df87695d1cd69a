package deploy_test

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// dashboard is the part of a Grafana dashboard the test reads.
type dashboard struct {
	Title         string  `json:"title"`
	UID           string  `json:"uid"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

// variable is a dashboard variable ($datasource, $instance).
type variable struct {
	Name  string          `json:"name"`
	Type  string          `json:"type"`
	Query json.RawMessage `json:"query"`
}

type panel struct {
	ID         int                      `json:"id"`
	Type       string                   `json:"type"`
	Title      string                   `json:"title"`
	Datasource *datasource              `json:"datasource"`
	GridPos    struct{ X, Y, W, H int } `json:"gridPos"`
	Panels     []panel                  `json:"panels"` // a collapsed row's
	Targets    []struct {
		Expr       string      `json:"expr"`
		Datasource *datasource `json:"datasource"`
	} `json:"targets"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("grafana", "korelay.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("grafana/korelay.json: %v", err)
	}
	return d
}

// allPanels returns every panel, those inside collapsed rows included.
func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

func TestDashboardShape(t *testing.T) {
	d := readDashboard(t)
	if d.Title == "" || d.UID == "" || d.SchemaVersion < 36 {
		t.Errorf("title %q, uid %q, schemaVersion %d: want a title, a uid and schemaVersion ≥ 36", d.Title, d.UID, d.SchemaVersion)
	}
	if !slices.ContainsFunc(d.Templating.List, func(v variable) bool {
		return v.Name == "datasource" && v.Type == "datasource" && string(v.Query) == `"prometheus"`
	}) {
		t.Error("no datasource variable of type prometheus: the dashboard would be bound to one Grafana's data source")
	}
	ids := map[int]string{}
	for _, p := range allPanels(d.Panels) {
		if other, dup := ids[p.ID]; dup || p.ID == 0 {
			t.Errorf("panel %q: id %d is missing or also %q's", p.Title, p.ID, other)
		}
		ids[p.ID] = p.Title
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
			t.Errorf("panel %q: want the ${datasource} variable and at least one query", p.Title)
		}
		for _, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) == "" || tg.Datasource == nil || tg.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q: a query without expr or without the ${datasource} variable", p.Title)
			}
		}
	}
	checkLayout(t, d.Panels)
}

// checkLayout fails when two panels overlap on the 24-column grid.
func checkLayout(t *testing.T, ps []panel) {
	t.Helper()
	for i, a := range ps {
		if a.GridPos.W <= 0 || a.GridPos.H <= 0 || a.GridPos.X+a.GridPos.W > 24 {
			t.Errorf("panel %q: gridPos %+v is off the 24-column grid", a.Title, a.GridPos)
		}
		for _, b := range ps[i+1:] {
			if a.GridPos.X < b.GridPos.X+b.GridPos.W && b.GridPos.X < a.GridPos.X+a.GridPos.W &&
				a.GridPos.Y < b.GridPos.Y+b.GridPos.H && b.GridPos.Y < a.GridPos.Y+a.GridPos.H {
				t.Errorf("panels %q and %q overlap", a.Title, b.Title)
			}
		}
	}
}

// Every metric korelay registers has a panel, and every korelay metric a
// panel queries exists: a new metric without a panel, or a
// renamed one, fails here.
func TestDashboardCoversEveryMetric(t *testing.T) {
	registered, err := registeredMetrics(filepath.Join("..", "metrics"))
	if err != nil {
		t.Fatal(err)
	}
	if len(registered) < 8 {
		t.Fatalf("found %d metric names in metrics/ (%v); the parser below missed some", len(registered), registered)
	}
	var exprs []string
	for _, p := range allPanels(readDashboard(t).Panels) {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	all := strings.Join(exprs, "\n")
	for _, name := range registered {
		if !regexp.MustCompile(`\b` + name + `(_bucket|_sum|_count)?\b`).MatchString(all) {
			t.Errorf("metric %s has no panel in grafana/korelay.json", name)
		}
	}
	queried := regexp.MustCompile(`\bkorelay_[a-z0-9_]+`).FindAllString(all, -1)
	slices.Sort(queried)
	for _, name := range slices.Compact(queried) {
		base := regexp.MustCompile(`_(bucket|sum|count)$`).ReplaceAllString(name, "")
		if !slices.Contains(registered, name) && !slices.Contains(registered, base) {
			t.Errorf("grafana/korelay.json queries %s, which korelay does not export", name)
		}
	}
}

func TestRegisteredMetricsParser(t *testing.T) {
	dir := t.TempDir()
	src := `package m
import "github.com/prometheus/client_golang/prometheus"
const ns = "korelay"
const heldName = ns + "_held_notifications"
var (
	a = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "korelay_a_total", Help: "."}, nil)
	b = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: "budget", Name: "used"})
	c = prometheus.NewGauge(prometheus.GaugeOpts{Name: heldName})
	d = prometheus.NewDesc("korelay_d", "help", nil, nil)
	e = prometheus.NewDesc(prometheus.BuildFQName(ns, "", "e"), "help", nil, nil)
)
`
	if err := os.WriteFile(filepath.Join(dir, "m.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := registeredMetrics(dir)
	want := []string{"korelay_a_total", "korelay_budget_used", "korelay_d", "korelay_e", "korelay_held_notifications"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("registeredMetrics = %v, %v; want %v", got, err, want)
	}
}

// registeredMetrics returns, sorted, the metric names the Go package in
// dir defines: every prometheus.*Opts literal (Namespace, Subsystem and
// Name joined as prometheus.BuildFQName does) and every prometheus.NewDesc.
// A name it cannot work out is an error, never skipped.
func registeredMetrics(dir string) ([]string, error) {
	fset := token.NewFileSet()
	files, err := parsePackage(fset, dir)
	if err != nil {
		return nil, err
	}
	consts := constExprs(files)
	var names []string
	var errs []string
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			name, ok, err := metricName(n, consts)
			switch {
			case err != nil:
				errs = append(errs, fmt.Sprintf("%s: %v", fset.Position(n.Pos()), err))
			case ok:
				names = append(names, name)
			}
			return true
		})
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("cannot read a metric name; extend registeredMetrics:\n%s", strings.Join(errs, "\n"))
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

func parsePackage(fset *token.FileSet, dir string) ([]*ast.File, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// constExprs returns the package-level constants' expressions, by name.
func constExprs(files []*ast.File) map[string]ast.Expr {
	out := map[string]ast.Expr{}
	for _, f := range files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						out[n.Name] = vs.Values[i]
					}
				}
			}
		}
	}
	return out
}

// metricName returns the metric name n defines, if n is a prometheus.*Opts
// literal or a prometheus.NewDesc call.
func metricName(n ast.Node, consts map[string]ast.Expr) (string, bool, error) {
	switch n := n.(type) {
	case *ast.CompositeLit:
		if !isPrometheus(n.Type, "Opts") {
			return "", false, nil
		}
		parts := map[string]string{}
		for _, elt := range n.Elts {
			kv, ok := elt.(*ast.KeyValueExpr)
			key, _ := kv.Key.(*ast.Ident)
			if !ok || key == nil || !slices.Contains([]string{"Namespace", "Subsystem", "Name"}, key.Name) {
				continue
			}
			v, err := stringValue(kv.Value, consts)
			if err != nil {
				return "", false, err
			}
			parts[key.Name] = v
		}
		return prometheus.BuildFQName(parts["Namespace"], parts["Subsystem"], parts["Name"]), parts["Name"] != "", nil
	case *ast.CallExpr:
		if !isPrometheus(n.Fun, "NewDesc") || len(n.Args) == 0 {
			return "", false, nil
		}
		v, err := stringValue(n.Args[0], consts)
		return v, err == nil, err
	}
	return "", false, nil
}

// isPrometheus reports whether e is prometheus.X with X ending in suffix.
func isPrometheus(e ast.Expr, suffix string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "prometheus" && strings.HasSuffix(sel.Sel.Name, suffix)
}

// stringValue evaluates a string literal, a constant, a concatenation of
// those, or prometheus.BuildFQName of those.
func stringValue(e ast.Expr, consts map[string]ast.Expr) (string, error) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			return strconv.Unquote(e.Value)
		}
	case *ast.Ident:
		if c, ok := consts[e.Name]; ok {
			return stringValue(c, consts)
		}
	case *ast.ParenExpr:
		return stringValue(e.X, consts)
	case *ast.BinaryExpr:
		if e.Op == token.ADD {
			x, err := stringValue(e.X, consts)
			if err != nil {
				return "", err
			}
			y, err := stringValue(e.Y, consts)
			return x + y, err
		}
	case *ast.CallExpr:
		if isPrometheus(e.Fun, "BuildFQName") && len(e.Args) == 3 {
			var parts [3]string
			for i, a := range e.Args {
				v, err := stringValue(a, consts)
				if err != nil {
					return "", err
				}
				parts[i] = v
			}
			return prometheus.BuildFQName(parts[0], parts[1], parts[2]), nil
		}
	}
	return "", fmt.Errorf("not a constant string: %T", e)
}

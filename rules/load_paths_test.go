package rules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// LoadGlobs joins globs to the config's folder; errors still name files
// under the working directory relatively, as the user writes them.
func TestLoadGlobsNamesFilesRelatively(t *testing.T) {
	base, err := filepath.Abs("testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	_, err = LoadGlobs(base, []string{"unknown-key.yaml", "dup-*.yaml"}, testEnv(t))
	want := strings.Join([]string{
		`testdata/bad/dup-b.yaml:5:11: duplicate rule name "shipped" (first defined at testdata/bad/dup-a.yaml:2:11)`,
		`testdata/bad/unknown-key.yaml:4:5: rule: unknown key "wehn" (did you mean "when"?)`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("errors:\n%v\nwant:\n%s", err, want)
	}

	outside := t.TempDir() // not under the working directory: named absolutely
	file := filepath.Join(outside, "r.yaml")
	if err := os.WriteFile(file, []byte("rules: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadGlobs(outside, []string{"*.yaml"}, testEnv(t))
	if want := file + ":1:8: rules: empty list"; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

// A dataset file that cannot be read is reported at the config key naming
// it, when the position is known.
func TestLoadDatasetReadErrorAtConfigKey(t *testing.T) {
	env := testEnv(t)
	missing, err := filepath.Abs("testdata/data/missing.csv")
	if err != nil {
		t.Fatal(err)
	}
	env.Datasets["missing"] = missing
	env.Datasets["other"] = missing
	env.DatasetPos = map[string]string{
		"missing":   "korelay.yaml:14:3",
		"employees": "korelay.yaml:12:3", // read fine: no error
		"other":     "not a position",    // falls back to the file
	}
	_, err = Load(nil, env)
	want := strings.Join([]string{
		"korelay.yaml:14:3: datasets.missing: open testdata/data/missing.csv: no such file or directory",
		`testdata/data/missing.csv:1:1: dataset "other": read: no such file or directory`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("errors:\n%v\nwant:\n%s", err, want)
	}
}

func TestParsePos(t *testing.T) {
	for in, want := range map[string]string{
		"korelay.yaml:14:3":       "korelay.yaml:14:3",
		`C:\cfg\korelay.yaml:2:1`: `C:\cfg\korelay.yaml:2:1`,
		"korelay.yaml:14":         "",
		"korelay.yaml:x:3":        "",
		":1:1":                    "",
		"":                        "",
	} {
		p, ok := parsePos(in)
		got := ""
		if ok {
			got = p.String()
		}
		if got != want {
			t.Errorf("parsePos(%q) = %q, want %q", in, got, want)
		}
	}
}

// A tab in a YAML dataset's indentation is reported at the tab.
func TestLoadDatasetTab(t *testing.T) {
	file := filepath.Join(t.TempDir(), "d.yaml")
	if err := os.WriteFile(file, []byte("a:\n  b: 1\n\tc: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := testEnv(t)
	env.Datasets = map[string]string{"d": file}
	_, err := Load(nil, env)
	if want := file + `:3:1: dataset "d": found a tab character in indentation (YAML allows only spaces)`; err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

package rules

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testNow is the clock of the tests: Sunday 7 March 2027, 09:00 UTC.
var testNow = time.Date(2027, 3, 7, 9, 0, 0, 0, time.UTC)

// testEnv is the config the tests' rules refer to.
func testEnv(t testing.TB) Env {
	t.Helper()
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	return Env{
		Webhooks: map[string]bool{"orders": true, "github": true},
		Groups: map[string][]string{
			"finance": {"ann@example.com", "bob@example.com"},
			"ops":     {"bob@example.com", "olga@example.com"},
		},
		Datasets: map[string]string{
			"employees": abs("testdata/data/employees.csv"),
			"regions":   abs("testdata/data/regions.yaml"),
			"products":  abs("testdata/data/products.json"),
		},
		Now: func() time.Time { return testNow },
	}
}

// loadString loads one rule file with the given content.
func loadString(t testing.TB, src string) (*Set, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	return Load([]string{path}, testEnv(t))
}

// mustLoad loads one rule file or fails the test.
func mustLoad(t testing.TB, src string) *Set {
	t.Helper()
	s, err := loadString(t, src)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

package deploy_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/korelay/korelay/config"
)

// unit maps "Section.Key" to its values, in order (a key may repeat).
type unit map[string][]string

func parseUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
		default:
			key, value, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: want Key=value inside a [Section]: %q", path, n, line)
			}
			u[section+"."+key] = append(u[section+"."+key], value)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// last returns the last value of key, as systemd reads a setting given
// twice; ok is false when the key is absent.
func (u unit) last(key string) (string, bool) {
	v := u[key]
	if len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

func TestSystemdUnit(t *testing.T) {
	u := parseUnit(t, "korelay.service")
	want := map[string]string{
		"Service.DynamicUser":            "yes",
		"Service.StateDirectory":         "korelay",
		"Service.ConfigurationDirectory": "korelay",
		"Service.ProtectSystem":          "strict",
		"Service.ProtectHome":            "yes",
		"Service.NoNewPrivileges":        "yes",
		"Service.PrivateTmp":             "yes",
		"Service.CapabilityBoundingSet":  "", // no capabilities at all
		"Service.MemoryDenyWriteExecute": "yes",
		"Service.LockPersonality":        "yes",
		"Service.Restart":                "on-failure",
		"Service.ExecReload":             "/bin/kill -HUP $MAINPID",
		"Install.WantedBy":               "multi-user.target",
	}
	for key, v := range want {
		if got, ok := u.last(key); !ok || got != v {
			t.Errorf("korelay.service: %s=%q, want %q", key, got, v)
		}
	}
	if got, _ := u.last("Service.ExecStart"); !strings.HasSuffix(got, "korelay run -config /etc/korelay/korelay.yaml") {
		t.Errorf("korelay.service: ExecStart=%s: want korelay run -config /etc/korelay/korelay.yaml", got)
	}
	if got, _ := u.last("Service.RestrictAddressFamilies"); !containsAll(strings.Fields(got), "AF_INET", "AF_INET6") {
		t.Errorf("korelay.service: RestrictAddressFamilies=%s: want AF_INET and AF_INET6 (and nothing exotic)", got)
	}
	if !slices.Contains(u["Service.SystemCallFilter"], "@system-service") {
		t.Errorf("korelay.service: SystemCallFilter=%v: want @system-service", u["Service.SystemCallFilter"])
	}
	if _, ok := u.last("Service.EnvironmentFile"); !ok {
		t.Error("korelay.service: no EnvironmentFile for the secrets")
	}
	checkStopTimeout(t, u)
}

// TimeoutStopSec must outlast the drain: 15 s, then calls already at Kore
// (kore.timeout, whose default the config package knows).
func checkStopTimeout(t *testing.T, u unit) {
	t.Helper()
	cfg, err := config.Parse("defaults.yaml", []byte("rules: [./rules/*.yaml]\n"), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	got, _ := u.last("Service.TimeoutStopSec")
	d, err := time.ParseDuration(got)
	if need := 15*time.Second + cfg.Kore.Timeout; err != nil || d <= need {
		t.Errorf("korelay.service: TimeoutStopSec=%s: want a Go-style duration above korelay's 15 s drain plus kore.timeout (%s)", got, need)
	}
}

func containsAll(list []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(list, w) {
			return false
		}
	}
	return true
}

// systemd-analyze verify, where systemd is installed (CI machines may lack
// it; the checks above stand in for it there).
func TestSystemdAnalyzeVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed")
	}
	data, err := os.ReadFile("korelay.service")
	if err != nil {
		t.Fatal(err)
	}
	// verify checks that the executables exist: stand in for korelay.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "korelay.service")
	text := strings.ReplaceAll(string(data), "/usr/local/bin/korelay", self)
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, analyze, "verify", file).CombinedOutput()
	// An unknown key or a bad value is only a warning (exit 0), one line
	// naming the unit; lines about the machine (no systemd running) are not.
	var problems []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "korelay.service") {
			problems = append(problems, line)
		}
	}
	if err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		t.Errorf("systemd-analyze verify korelay.service:\n%s", strings.Join(problems, "\n"))
	}
}

package deploy_test

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/korelay/korelay/config"
)

// composeFile is the part of a compose file the test reads.
type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Command         []string          `yaml:"command"`
	Environment     map[string]string `yaml:"environment"`
	Volumes         []string          `yaml:"volumes"`
	Ports           []string          `yaml:"ports"`
	Restart         string            `yaml:"restart"`
	StopGracePeriod string            `yaml:"stop_grace_period"`
	Healthcheck     *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	data, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return c
}

// korelayServices returns the services built from deploy/Dockerfile, by name.
func korelayServices(c composeFile) map[string]composeService {
	out := map[string]composeService{}
	for name, s := range c.Services {
		if s.Build != nil && s.Build.Dockerfile == "deploy/Dockerfile" {
			out[name] = s
		}
	}
	return out
}

func TestComposeNATS(t *testing.T) {
	c := readCompose(t)
	nats, ok := c.Services["nats"]
	if !ok || !strings.HasPrefix(nats.Image, "nats:") {
		t.Fatalf("compose.yaml: want a service nats from the official nats image; got %+v", nats)
	}
	if !slices.Contains(nats.Command, "-js") && !slices.Contains(nats.Command, "--jetstream") {
		t.Errorf("compose.yaml: nats command %v: want JetStream (-js)", nats.Command)
	}
	store := flagValue(nats.Command, "-sd", "--store_dir")
	if store == "" || !slices.ContainsFunc(nats.Volumes, func(v string) bool {
		name, target, _ := strings.Cut(v, ":")
		_, declared := c.Volumes[name]
		return declared && target == store
	}) {
		t.Errorf("compose.yaml: nats stores in %q; want a declared named volume there (volumes %v)", store, nats.Volumes)
	}
	if nats.Healthcheck == nil || nats.Restart == "" {
		t.Error("compose.yaml: nats needs a healthcheck (korelay waits for it) and a restart policy")
	}
}

func flagValue(args []string, names ...string) string {
	for i, a := range args {
		if slices.Contains(names, a) && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

func TestComposeReplicas(t *testing.T) {
	c := readCompose(t)
	replicas := korelayServices(c)
	if len(replicas) < 2 {
		t.Fatalf("compose.yaml: %d korelay service(s) built from deploy/Dockerfile; want two replicas", len(replicas))
	}
	hostPorts := map[string]string{}
	for name, s := range replicas {
		if s.Build.Context != ".." {
			t.Errorf("%s: build context %q: want .. (the repository root)", name, s.Build.Context)
		}
		if len(s.Ports) != 1 {
			t.Errorf("%s: ports %v: want its own http port published", name, s.Ports)
			continue
		}
		hostPort := publishedHostPort(s.Ports[0])
		if other, dup := hostPorts[hostPort]; dup {
			t.Errorf("%s and %s publish the same host port %s", name, other, hostPort)
		}
		hostPorts[hostPort] = name
		if !slices.Contains([]string{"always", "unless-stopped", "on-failure"}, s.Restart) {
			t.Errorf("%s: restart %q: want a restart policy", name, s.Restart)
		}
		if s.DependsOn["nats"].Condition != "service_healthy" {
			t.Errorf("%s: want depends_on nats: condition: service_healthy", name)
		}
		for _, v := range s.Volumes {
			if !strings.HasSuffix(v, ":ro") {
				t.Errorf("%s: volume %s: want it read-only (:ro)", name, v)
			}
		}
		for _, secret := range []string{"KORE_CLIENT_ID", "KORE_CLIENT_SECRET"} {
			if !strings.HasPrefix(s.Environment[secret], "${"+secret) {
				t.Errorf("%s: environment %s = %q: want ${%s} (from the shell or deploy/.env), never a value in the file",
					name, secret, s.Environment[secret], secret)
			}
		}
		checkReplicaConfig(t, name, s, len(replicas))
	}
}

// publishedHostPort returns the host port of "[ip:]host:container".
func publishedHostPort(p string) string {
	parts := strings.Split(p, ":")
	if len(parts) < 2 {
		return ""
	}
	return parts[len(parts)-2]
}

// checkReplicaConfig loads the config a replica sees, from its mounts and
// its environment as compose passes it with an empty .env, and checks it
// against the service.
func checkReplicaConfig(t *testing.T, name string, s composeService, replicas int) {
	t.Helper()
	cfg := loadConfig(t, mirrorMounts(t, s.Volumes), composeEnv(t, s.Environment))
	if u, err := url.Parse(cfg.NATS.URL); err != nil || u.Hostname() != "nats" {
		t.Errorf("%s: nats.url %q: want the compose service nats", name, cfg.NATS.URL)
	}
	host, port, _ := net.SplitHostPort(cfg.HTTP.Listen)
	if host != "0.0.0.0" || !strings.HasSuffix(s.Ports[0], ":"+port) {
		t.Errorf("%s: http.listen %s and ports %v disagree (want 0.0.0.0 and the published container port)", name, cfg.HTTP.Listen, s.Ports)
	}
	if hc := s.Healthcheck; hc == nil || len(hc.Test) != 4 || hc.Test[1] != imageBinary || hc.Test[2] != "probe" ||
		!strings.Contains(hc.Test[3], ":"+port+"/") {
		t.Errorf("%s: healthcheck %+v: want [CMD, %s, probe, URL on port %s]", name, hc, imageBinary, port)
	}
	grace, err := time.ParseDuration(s.StopGracePeriod)
	if need := 15*time.Second + cfg.Kore.Timeout; err != nil || grace <= need {
		t.Errorf("%s: stop_grace_period %q: want more than korelay's 15 s drain plus kore.timeout (%s)", name, s.StopGracePeriod, need)
	}
	// The replicas share one budget (docs/operations.md, "Running several
	// replicas"): it must stay within Kore's per-bot limits.
	if b := cfg.Kore.Budget; b.PerMinute > config.KorePerMinute || b.PerHour > config.KorePerHour {
		t.Errorf("%s: kore.budget %d/min, %d/h exceeds Kore's %d/min, %d/h",
			name, b.PerMinute, b.PerHour, config.KorePerMinute, config.KorePerHour)
	}
}

// mirrorMounts lays out the bind mounts under /etc/korelay in a temporary
// folder (as symbolic links to their sources) and returns the path of the
// config file there.
func mirrorMounts(t *testing.T, volumes []string) string {
	t.Helper()
	root := t.TempDir()
	for _, v := range volumes {
		parts := strings.Split(v, ":")
		rel, ok := strings.CutPrefix(parts[1], "/etc/korelay/")
		if !ok || !strings.HasPrefix(parts[0], ".") {
			continue
		}
		src, err := filepath.Abs(parts[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(src); err != nil {
			t.Fatalf("compose.yaml: volume %s: %v", v, err)
		}
		dst := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(src, dst); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(root, "korelay.yaml")
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("compose.yaml: no volume mounts %s: %v", imageConfig, err)
	}
	return file
}

var composeVar = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)(:-(.*))?\}$`)

// composeEnv is the environment compose passes when no variable is set:
// ${VAR:-default} becomes default, ${VAR} empty.
func composeEnv(t *testing.T, env map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for k, v := range env {
		if !strings.Contains(v, "$") {
			out[k] = v
			continue
		}
		m := composeVar.FindStringSubmatch(v)
		if m == nil {
			t.Fatalf("compose.yaml: environment %s = %q: the test reads only ${VAR} and ${VAR:-default}", k, v)
		}
		out[k] = m[3]
	}
	return out
}

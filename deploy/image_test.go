package deploy_test

import (
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/korelay/korelay/config"
	"github.com/korelay/korelay/service"
)

// The paths the image is built around; deploy/README.md documents them.
const (
	imageBinary  = "/korelay"
	imageConfig  = "/etc/korelay/korelay.yaml"
	imageDataDir = "/var/lib/korelay"
)

// stages returns the Dockerfile's build stage and final (runtime) stage.
func stages(t *testing.T) (build, final stage) {
	t.Helper()
	all := parseDockerfile(t, "Dockerfile")
	if len(all) < 2 {
		t.Fatalf("Dockerfile: %d stage(s); want a multi-stage build (FROM golang... AS build, then the runtime)", len(all))
	}
	for _, s := range all[:len(all)-1] {
		if strings.HasPrefix(s.image, "golang:") {
			return s, all[len(all)-1]
		}
	}
	t.Fatalf("Dockerfile: no golang:... build stage")
	return stage{}, stage{}
}

func TestDockerfileStages(t *testing.T) {
	all := parseDockerfile(t, "Dockerfile")
	build, final := stages(t)
	if build.name == "" || !strings.HasPrefix(build.image, "golang:1.26") {
		t.Errorf("build stage FROM %s AS %q: want golang:1.26 and a name", build.image, build.name)
	}
	if final.image != "scratch" && !strings.HasPrefix(final.image, "gcr.io/distroless/static") {
		t.Errorf("runtime stage FROM %s: want distroless static (CA certificates, tzdata) or scratch", final.image)
	}
	names := map[string]bool{}
	for _, s := range all {
		for _, in := range s.find("COPY") {
			if from, ok := in.flag("from"); ok && !names[from] {
				t.Errorf("Dockerfile:%d: COPY --from=%s names no earlier stage", in.line, from)
			}
		}
		names[s.name] = s.name != ""
	}
}

// No remote ADD (unpinned, unverified downloads) and no ADD at all where
// COPY does.
func TestDockerfileNoRemoteAdd(t *testing.T) {
	remote := regexp.MustCompile(`^(https?|git|ssh)://|^git@`)
	for _, s := range parseDockerfile(t, "Dockerfile") {
		for _, in := range s.find("ADD") {
			for _, a := range in.args {
				if remote.MatchString(a) {
					t.Errorf("Dockerfile:%d: ADD %s downloads at build time; vendor it or pin it with a checksum", in.line, a)
				}
			}
		}
	}
}

// The binary is static, reproducible and says which build it is.
func TestDockerfileBuildsAStaticBinary(t *testing.T) {
	build, _ := stages(t)
	var goBuild *instruction
	for _, in := range build.find("RUN") {
		if strings.Contains(in.text, "go build") {
			goBuild = &in
		}
	}
	if goBuild == nil {
		t.Fatal("Dockerfile: the build stage runs no go build")
	}
	cgoOff := strings.Contains(goBuild.text, "CGO_ENABLED=0")
	for _, env := range build.find("ENV") {
		cgoOff = cgoOff || strings.Contains(env.text, "CGO_ENABLED=0")
	}
	if !cgoOff {
		t.Errorf("Dockerfile:%d: go build without CGO_ENABLED=0: the binary would need a C library", goBuild.line)
	}
	for _, want := range []string{"-trimpath", "./cmd/korelay", "-X main.version=", "-X main.commit=", "-X main.date="} {
		if !strings.Contains(goBuild.text, want) {
			t.Errorf("Dockerfile:%d: go build lacks %s", goBuild.line, want)
		}
	}
}

func TestDockerfileRuntime(t *testing.T) {
	_, final := stages(t)
	user := final.last(t, "USER")
	if !regexp.MustCompile(`^[1-9][0-9]*(:[0-9]+)?$`).MatchString(strings.Join(user.args, " ")) {
		t.Errorf("Dockerfile:%d: USER %s: want a numeric, non-root uid (Kubernetes' runAsNonRoot checks it)", user.line, user.text)
	}
	entry := final.last(t, "ENTRYPOINT")
	if !entry.exec || !slices.Equal(entry.args, []string{imageBinary, "run"}) {
		t.Errorf("Dockerfile:%d: ENTRYPOINT %s: want [%q, \"run\"] in exec form (no shell in the image)", entry.line, entry.text, imageBinary)
	}
	cmd := final.last(t, "CMD")
	if !cmd.exec || !slices.Equal(cmd.args, []string{"-config", imageConfig}) {
		t.Errorf("Dockerfile:%d: CMD %s: want [\"-config\", %q]", cmd.line, cmd.text, imageConfig)
	}
	if vol := final.last(t, "VOLUME"); !slices.Contains(vol.args, imageDataDir) {
		t.Errorf("Dockerfile:%d: VOLUME %s: want %s", vol.line, vol.text, imageDataDir)
	}
	copies := map[string]string{} // destination → source
	for _, in := range final.find("COPY") {
		copies[strings.TrimSuffix(in.args[len(in.args)-1], "/")] = in.args[0]
	}
	for dest, src := range map[string]string{imageBinary: "", imageConfig: "deploy/korelay.yaml", "/etc/korelay/rules": "deploy/rules/"} {
		if got, ok := copies[dest]; !ok || src != "" && got != src {
			t.Errorf("Dockerfile: the runtime stage copies %q to %s; want %q", got, dest, src)
		}
	}
}

// The image's config listens where the Dockerfile exposes and probes, keeps
// its store on the volume, is valid with its rules, and sends nothing
// until told to.
func TestImageConfig(t *testing.T) {
	_, final := stages(t)
	cfg := loadConfig(t, "korelay.yaml", map[string]string{})
	exposed := map[string]bool{}
	for _, in := range final.find("EXPOSE") {
		for _, p := range in.args {
			exposed[strings.TrimSuffix(p, "/tcp")] = true
		}
	}
	for key, addr := range map[string]string{"http.listen": cfg.HTTP.Listen, "nats.listen": cfg.NATS.Listen} {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || host != "0.0.0.0" || !exposed[port] {
			t.Errorf("korelay.yaml: %s %s: want 0.0.0.0 (reachable from outside the container) and an EXPOSEd port (%v)", key, addr, exposed)
		}
	}
	if cfg.NATS.DataDir != imageDataDir {
		t.Errorf("korelay.yaml: nats.data_dir %s: want the image's VOLUME %s", cfg.NATS.DataDir, imageDataDir)
	}
	hc := final.last(t, "HEALTHCHECK")
	if !hc.exec || len(hc.args) != 3 || hc.args[0] != imageBinary || hc.args[1] != "probe" {
		t.Fatalf("Dockerfile:%d: HEALTHCHECK %s: want CMD [%q, \"probe\", URL] (no shell, no curl in the image)", hc.line, hc.text, imageBinary)
	}
	u, err := url.Parse(hc.args[2])
	if _, port, _ := net.SplitHostPort(cfg.HTTP.Listen); err != nil || u.Port() != port || u.Path != "/healthz" {
		t.Errorf("Dockerfile:%d: HEALTHCHECK probes %s; want /healthz on http.listen's port %s", hc.line, hc.args[2], port)
	}
	if !cfg.DryRun {
		t.Error("korelay.yaml: with no environment the image must be a dry run")
	}
	live := loadConfig(t, "korelay.yaml", map[string]string{
		"KORELAY_DRY_RUN": "false", "KORE_BOT_ID": "st-1", "KORE_CLIENT_ID": "cs-1", "KORE_CLIENT_SECRET": "s",
	})
	if live.DryRun || live.Kore.ClientID != "cs-1" || live.Kore.ClientSecret.Value() != "s" {
		t.Errorf("korelay.yaml: KORELAY_DRY_RUN=false and KORE_* must make a live config; got dry_run %v, client_id %q", live.DryRun, live.Kore.ClientID)
	}
}

// loadConfig loads a korelay config with env as the whole environment and
// checks it as korelay validate does, rules and all.
func loadConfig(t *testing.T, file string, env map[string]string) *config.Config {
	t.Helper()
	cfg, err := config.LoadEnv(file, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if _, err := service.Check(cfg, time.Now); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return cfg
}

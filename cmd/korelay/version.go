package main

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// Set at build time, as deploy/Dockerfile does:
//
//	-ldflags "-X main.version=v1.2.3 -X main.commit=0123abc -X main.date=2026-12-01T10:00:00Z"
//
// Each one left empty is taken from the build information Go records in
// the binary (module version, VCS revision and commit time), if any.
var (
	version = ""
	commit  = ""
	date    = ""
)

func cmdVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("version", stderr)
	fs.String("config", "", "ignored")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "korelay", currentBuild())
	return nil
}

// versionString is korelay's version alone ("v1.2.3", or "dev" when
// unknown), as the User-Agent of Kore requests carries it.
func versionString() string { return currentBuild().version }

// buildFacts is what a korelay binary knows about how it was built.
type buildFacts struct {
	version string // "v1.2.3", or "dev"
	commit  string // shortened revision, "-dirty" when built from a modified tree; may be empty
	date    string // RFC 3339; may be empty
	built   bool   // date is when the binary was built (ldflags), not when the commit was made
}

// currentBuild returns the facts of this binary.
func currentBuild() buildFacts {
	info, _ := debug.ReadBuildInfo()
	return describeBuild(version, commit, date, info)
}

// describeBuild merges the values set with -ldflags (ldVersion, ldCommit,
// ldDate) with Go's build information (info may be nil): a value set with
// -ldflags wins.
func describeBuild(ldVersion, ldCommit, ldDate string, info *debug.BuildInfo) buildFacts {
	b := buildFacts{version: ldVersion, commit: shortCommit(ldCommit), date: ldDate, built: ldDate != ""}
	if info == nil {
		return b.withDefaults()
	}
	if b.version == "" && info.Main.Version != "(devel)" {
		b.version = info.Main.Version
	}
	vcs := vcsSettings(info)
	if b.commit == "" && vcs["vcs.revision"] != "" {
		b.commit = shortCommit(vcs["vcs.revision"])
		if vcs["vcs.modified"] == "true" {
			b.commit += "-dirty"
		}
	}
	if b.date == "" {
		b.date = vcs["vcs.time"]
	}
	return b.withDefaults()
}

func (b buildFacts) withDefaults() buildFacts {
	if b.version == "" {
		b.version = "dev"
	}
	return b
}

// vcsSettings returns the vcs.* settings of info by key.
func vcsSettings(info *debug.BuildInfo) map[string]string {
	m := map[string]string{}
	for _, s := range info.Settings {
		if strings.HasPrefix(s.Key, "vcs.") {
			m[s.Key] = s.Value
		}
	}
	return m
}

// shortCommit shortens a revision to 12 characters, keeping a suffix such
// as "-dirty".
func shortCommit(rev string) string {
	head, tail, dirty := strings.Cut(rev, "-")
	if len(head) > 12 {
		head = head[:12]
	}
	if dirty {
		return head + "-" + tail
	}
	return head
}

// String returns "v1.2.3 (commit 0123abc, built 2026-12-01T10:00:00Z)",
// "dev (commit 0123abc-dirty, committed 2026-12-01T10:00:00Z)", or the
// version alone when nothing else is known.
func (b buildFacts) String() string {
	var parts []string
	if b.commit != "" {
		parts = append(parts, "commit "+b.commit)
	}
	switch {
	case b.date == "":
	case b.built:
		parts = append(parts, "built "+b.date)
	default:
		parts = append(parts, "committed "+b.date)
	}
	if len(parts) == 0 {
		return b.version
	}
	return b.version + " (" + strings.Join(parts, ", ") + ")"
}

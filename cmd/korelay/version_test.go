package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

// vcsInfo is Go's build information of a binary built from a checkout.
func vcsInfo(version, revision, time, modified string) *debug.BuildInfo {
	return &debug.BuildInfo{
		Main: debug.Module{Path: "github.com/korelay/korelay", Version: version},
		Settings: []debug.BuildSetting{
			{Key: "-trimpath", Value: "true"},
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: revision},
			{Key: "vcs.time", Value: time},
			{Key: "vcs.modified", Value: modified},
		},
	}
}

const rev = "0123abcdef0123456789abcdef0123456789abcd"

func TestDescribeBuild(t *testing.T) {
	tests := []struct {
		name                string
		ldVersion, ldCommit string
		ldDate              string
		info                *debug.BuildInfo
		want, wantUserAgent string
	}{
		{
			name:      "ldflags only, as the Dockerfile builds",
			ldVersion: "v1.2.3", ldCommit: "0123abc", ldDate: "2026-12-01T10:00:00Z",
			want:          "v1.2.3 (commit 0123abc, built 2026-12-01T10:00:00Z)",
			wantUserAgent: "v1.2.3",
		},
		{
			name:      "ldflags win over the build information",
			ldVersion: "v1.2.3", ldCommit: rev, ldDate: "2026-12-01T10:00:00Z",
			info:          vcsInfo("v1.2.2", "ffffffffffffffffffffffffffffffffffffffff", "2026-11-01T00:00:00Z", "true"),
			want:          "v1.2.3 (commit 0123abcdef01, built 2026-12-01T10:00:00Z)",
			wantUserAgent: "v1.2.3",
		},
		{
			name:          "go build in a modified checkout",
			info:          vcsInfo("(devel)", rev, "2026-12-01T10:00:00Z", "true"),
			want:          "dev (commit 0123abcdef01-dirty, committed 2026-12-01T10:00:00Z)",
			wantUserAgent: "dev",
		},
		{
			name:          "go install of a tagged module",
			info:          vcsInfo("v1.2.3", rev, "2026-12-01T10:00:00Z", "false"),
			want:          "v1.2.3 (commit 0123abcdef01, committed 2026-12-01T10:00:00Z)",
			wantUserAgent: "v1.2.3",
		},
		{
			name:          "a commit from ldflags, the time from the checkout",
			ldCommit:      "0123abc-dirty",
			info:          vcsInfo("(devel)", rev, "2026-12-01T10:00:00Z", "false"),
			want:          "dev (commit 0123abc-dirty, committed 2026-12-01T10:00:00Z)",
			wantUserAgent: "dev",
		},
		{
			name:          "no build information at all",
			want:          "dev",
			wantUserAgent: "dev",
		},
		{
			name:          "built outside a checkout",
			info:          &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			want:          "dev",
			wantUserAgent: "dev",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := describeBuild(tt.ldVersion, tt.ldCommit, tt.ldDate, tt.info)
			if got := b.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if b.version != tt.wantUserAgent {
				t.Errorf("version = %q, want %q", b.version, tt.wantUserAgent)
			}
		})
	}
}

// `korelay version` prints what -ldflags set, and the User-Agent keeps
// the version alone.
func TestVersionCommandUsesLdflags(t *testing.T) {
	defer func(v, c, d string) { version, commit, date = v, c, d }(version, commit, date)
	version, commit, date = "v1.2.3", "0123abc", "2026-12-01T10:00:00Z"
	code, stdout, stderr := korelay(t, "version")
	if want := "korelay v1.2.3 (commit 0123abc, built 2026-12-01T10:00:00Z)\n"; code != 0 || stdout != want || stderr != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want %q", code, stdout, stderr, want)
	}
	if got := versionString(); got != "v1.2.3" {
		t.Errorf("versionString() = %q, want v1.2.3", got)
	}
}

func TestShortCommit(t *testing.T) {
	for in, want := range map[string]string{
		"":                      "",
		"0123abc":               "0123abc",
		rev:                     "0123abcdef01",
		rev + "-dirty":          "0123abcdef01-dirty",
		"0123abc-dirty":         "0123abc-dirty",
		strings.Repeat("a", 12): strings.Repeat("a", 12),
	} {
		if got := shortCommit(in); got != want {
			t.Errorf("shortCommit(%q) = %q, want %q", in, got, want)
		}
	}
}

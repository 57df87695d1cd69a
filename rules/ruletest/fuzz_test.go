package ruletest

import (
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary text to the test-file parser: it must never
// panic, and every error must name the file.
func FuzzParse(f *testing.F) {
	f.Add([]byte("tests:\n  - {name: a, on: webhook:x, event: {id: 1}, expect: []}\n"))
	f.Add([]byte("tests:\n  - name: b\n    on: cron:r\n    now: 2026-01-01T00:00:00Z\n    expect: [{rule: r, to: [a], text: t}]\n"))
	f.Add([]byte("tests: [1, [2], {expect: {}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cases, err := Parse("t.yaml", data)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "t.yaml") {
					t.Fatalf("error line without the file name: %q", line)
				}
			}
			return
		}
		for _, c := range cases {
			if c.Name == "" && c.On == "" && c.Expect == nil {
				t.Fatalf("accepted an empty case: %+v", c)
			}
		}
	})
}

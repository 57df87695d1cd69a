package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseValid(t *testing.T) {
	for _, spec := range []string{
		"0 9 * * MON",
		"*/15 * * * *",
		"30 0 9 * * MON-FRI", // 6 fields: leading seconds
		"0 0 29 2 *",         // leap days only
		"0 0 31 2 MON",       // day of month OR day of week: Mondays
		"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly",
		"@every 30s", "@every 1h30m",
		"  0 9 * * *  ",
	} {
		t.Run(spec, func(t *testing.T) {
			s, err := Parse(spec, nil)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if s.String() != spec {
				t.Errorf("String() = %q, want %q", s.String(), spec)
			}
			if s.Location() != time.UTC {
				t.Errorf("Location() = %v, want UTC", s.Location())
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range []struct {
		spec, want string
		never      bool
	}{
		{spec: "", want: `cron spec "": empty`},
		{spec: "1 2 3 4 5 6 7", want: `cron spec "1 2 3 4 5 6 7": expected 5 or 6 fields, found 7`},
		{spec: "* * * *", want: "expected 5 or 6 fields, found 4"},
		{spec: "61 * * * *", want: `cron spec "61 * * * *": `},
		{spec: "* * * * FOO", want: "FOO"},
		{spec: "*/0 * * * *", want: "step"},
		{spec: "@often", want: "unrecognized descriptor"},
		{spec: "@daily now", want: "descriptor @daily takes no arguments"},
		{spec: "@every", want: "@every"},
		{spec: "@every soon", want: "soon"},
		{spec: "@every 500ms", want: "whole number of seconds"},
		{spec: "@every 1.5s", want: "whole number of seconds"},
		{spec: "@every -1m", want: "at least 1s"},
		{spec: "TZ=Europe/Berlin 0 9 * * *", want: "time zone prefix not allowed"},
		{spec: "0 , 1 1 0", want: `field 2 ",": empty list item`},
		{spec: "0 0 1,,2 * *", want: "empty list item"},
		{spec: "0 0 30 2 *", want: "can never fire", never: true},
		{spec: "0 0 31 4,6,9,11 *", want: "can never fire", never: true},
		{spec: "0 0 31 2 *", want: "can never fire", never: true},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			_, err := Parse(tc.spec, nil)
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans several lines", err)
			}
			if got := errors.Is(err, ErrNeverFires); got != tc.never {
				t.Errorf("errors.Is(err, ErrNeverFires) = %v, want %v", got, tc.never)
			}
		})
	}
}

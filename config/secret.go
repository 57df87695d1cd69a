package config

import "log/slog"

// Secret is a string that never shows itself in logs, errors or fmt output.
type Secret string

const redacted = "[redacted]"

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString hides the value from %#v.
func (s Secret) GoString() string { return s.String() }

// LogValue hides the value from slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Value returns the secret itself, for the one place that needs it.
func (s Secret) Value() string { return string(s) }

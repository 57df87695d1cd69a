package rules

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// fmtErrorRE matches what fmt writes for a bad format or argument:
// %!d(string=x), %!d(<nil>), %!d(MISSING), %!d(BADINDEX), %!v(PANIC=...),
// %!(EXTRA ...), %!(NOVERB), %!(BADWIDTH) and %!(BADPREC). Ordinary text
// such as "50%!" does not match.
var fmtErrorRE = regexp.MustCompile(`%!(?:\((?:NOVERB|BADWIDTH|BADPREC)\)|\(EXTRA |.\((?:MISSING|BADINDEX)\)|.\(PANIC=|.\(<nil>\)|.\([\w.*\[\]{} ]+=)`)

// fmtError returns an error for the first fmt error in out, which fmt
// produced from format and args. Text of an argument that merely looks
// like a fmt error is not one: then format is run again with such text
// masked.
func fmtError(out, format string, args []any) error {
	m := fmtErrorRE.FindString(out)
	if m == "" {
		return nil
	}
	if masked, ok := maskFmtErrors(args); ok {
		if m = fmtErrorRE.FindString(fmt.Sprintf(format, masked...)); m == "" {
			return nil
		}
		out = fmt.Sprintf(format, masked...)
	}
	return describeFmtError(out[strings.Index(out, m):])
}

// maskFmtErrors returns args with "%!" in strings replaced, and whether
// any was.
func maskFmtErrors(args []any) ([]any, bool) {
	var out []any
	for i, a := range args {
		if s, ok := a.(string); ok && strings.Contains(s, "%!") {
			if out == nil {
				out = append([]any(nil), args...)
			}
			out[i] = strings.ReplaceAll(s, "%!", "%_")
		}
	}
	return out, out != nil
}

// describeFmtError words the fmt error at the start of s.
func describeFmtError(s string) error {
	switch {
	case strings.HasPrefix(s, "%!(NOVERB)"):
		return errors.New(`the format ends with a lone "%" (write %% for a percent sign)`)
	case strings.HasPrefix(s, "%!(BADWIDTH)"), strings.HasPrefix(s, "%!(BADPREC)"):
		return errors.New("a * width or precision needs an integer argument")
	case strings.HasPrefix(s, "%!(EXTRA "):
		return fmt.Errorf("more arguments than verbs in the format: %s", clip(s[len("%!(EXTRA "):]))
	}
	verb, size := utf8.DecodeRuneInString(s[2:])
	rest := s[2+size:]
	switch {
	case strings.HasPrefix(rest, "(MISSING)"):
		return fmt.Errorf("%%%c has no argument (more verbs than arguments)", verb)
	case strings.HasPrefix(rest, "(BADINDEX)"):
		return fmt.Errorf("%%%c: argument index out of range", verb)
	case strings.HasPrefix(rest, "(PANIC="):
		return fmt.Errorf("%%%c: formatting failed: %s", verb, clip(rest[len("(PANIC="):]))
	case strings.HasPrefix(rest, "(<nil>)"):
		return fmt.Errorf("%%%c: %w", verb, errNoValue)
	}
	typ, val, _ := strings.Cut(strings.TrimPrefix(rest, "("), "=")
	return fmt.Errorf("%%%c cannot format %s %s", verb, typ, clip(val))
}

// clip cuts the rest of a fmt error at its closing parenthesis, and
// shortens it, for a message.
func clip(s string) string {
	const maxLen = 40
	if i := strings.IndexByte(s, ')'); i >= 0 {
		s = s[:i]
	}
	if utf8.RuneCountInString(s) > maxLen {
		s = string([]rune(s)[:maxLen]) + "…"
	}
	return s
}

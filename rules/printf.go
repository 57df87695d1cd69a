package rules

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// printfFunc is the template's printf. It adapts JSON values to the verbs
// (see adaptArg) and refuses output that holds a fmt error such as
// %!f(string=x), naming the problem.
func printfFunc(format string, args ...any) (string, error) {
	uses := verbArgs(format)
	args = append([]any(nil), args...)
	adapted := make([]bool, len(args))
	for _, u := range uses {
		if u.arg < 0 || u.arg >= len(args) || adapted[u.arg] {
			continue
		}
		adapted[u.arg] = true
		v, err := adaptArg(u.verb, args[u.arg])
		if err != nil {
			return "", fmt.Errorf("argument %d: %w", u.arg+1, err)
		}
		args[u.arg] = v
	}
	out := fmt.Sprintf(format, args...)
	if err := fmtError(out, format, args); err != nil {
		return "", err
	}
	return out, nil
}

// verbUse is a verb of a format and the index of the argument it formats;
// verb '*' is a width or precision taken from an argument.
type verbUse struct {
	verb rune
	arg  int
}

// verbArgs lists the verbs of format with their arguments, numbering them
// as fmt does (including [n] indexes and * widths). It does not validate:
// fmt reports what is wrong.
func verbArgs(format string) []verbUse {
	var uses []verbUse
	arg := 0
	for i := 0; i < len(format); {
		if format[i] != '%' {
			i++
			continue
		}
		i++
		for i < len(format) && strings.IndexByte("#0+- ", format[i]) >= 0 {
			i++
		}
		arg, i = argIndex(format, i, arg)
		if i < len(format) && format[i] == '*' {
			uses, arg, i = append(uses, verbUse{'*', arg}), arg+1, i+1
		}
		i = skipDigits(format, i)
		if i < len(format) && format[i] == '.' {
			arg, i = argIndex(format, i+1, arg)
			if i < len(format) && format[i] == '*' {
				uses, arg, i = append(uses, verbUse{'*', arg}), arg+1, i+1
			}
			i = skipDigits(format, i)
		}
		arg, i = argIndex(format, i, arg)
		if i >= len(format) {
			break
		}
		verb, size := utf8.DecodeRuneInString(format[i:])
		i += size
		if verb != '%' {
			uses, arg = append(uses, verbUse{verb, arg}), arg+1
		}
	}
	return uses
}

// argIndex reads an explicit argument index "[n]" at format[i:].
func argIndex(format string, i, arg int) (int, int) {
	if i >= len(format) || format[i] != '[' {
		return arg, i
	}
	end := strings.IndexByte(format[i:], ']')
	if end < 0 {
		return arg, i
	}
	n, err := strconv.Atoi(format[i+1 : i+end])
	if err != nil {
		return arg, i + end + 1
	}
	return n - 1, i + end + 1
}

func skipDigits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// Verb classes of adaptArg.
const (
	intVerbs    = "dxXoObcU"
	floatVerbs  = "eEfFgG"
	stringVerbs = "svq"
)

// Numbers written as strings: JSON integers beyond int's range, and CSV
// values.
var (
	integerRE = regexp.MustCompile(`^[+-]?[0-9]+$`)
	decimalRE = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
)

// adaptArg converts a value for a verb as a rule author means it: a
// number for %d is an integer (an integral float becomes one; another is
// an error), a number for %f a float (exactly, for integers beyond 2^53
// and for numbers written as strings), and any value for %s, %v or %q
// renders as in text ({{ . }}). A missing or null value is an error.
func adaptArg(verb rune, v any) (any, error) {
	if v == nil {
		return nil, errNoValue
	}
	switch {
	case verb == '*' || strings.ContainsRune(intVerbs, verb):
		return asInteger(verb, v)
	case strings.ContainsRune(floatVerbs, verb):
		return asFloat(v), nil
	case strings.ContainsRune(stringVerbs, verb):
		if _, ok := v.(string); !ok {
			return formatText(v)
		}
	}
	return v, nil
}

// asInteger converts integral floats and strings of digits to integers.
func asInteger(verb rune, v any) (any, error) {
	switch x := v.(type) {
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%%%c needs an integer, found %s", verb, formatFloat(x))
		}
		if x >= -(1<<63) && x < 1<<63 {
			return int64(x), nil
		}
		i, _ := big.NewFloat(x).Int(nil)
		return i, nil
	case string:
		if !integerRE.MatchString(x) || verb == '*' {
			return v, nil
		}
		if i, err := strconv.ParseInt(x, 10, 64); err == nil {
			return i, nil
		}
		i, _ := new(big.Int).SetString(strings.TrimPrefix(x, "+"), 10)
		return i, nil
	}
	return v, nil
}

// exactFloatBits is the largest integer float64 holds exactly.
const exactFloatBits = 1 << 53

// asFloat converts integers and numbers written as strings to floats,
// exactly: as a *big.Float where float64 would round.
func asFloat(v any) any {
	switch x := v.(type) {
	case int:
		if x >= -exactFloatBits && x <= exactFloatBits {
			return float64(x)
		}
		return new(big.Float).SetInt64(int64(x))
	case int64:
		if x >= -exactFloatBits && x <= exactFloatBits {
			return float64(x)
		}
		return new(big.Float).SetInt64(x)
	case string:
		if !decimalRE.MatchString(x) {
			return v
		}
		f, _, err := big.ParseFloat(x, 10, uint(len(x))*4+64, big.ToNearestEven)
		if err != nil {
			return v
		}
		return f
	}
	return v
}

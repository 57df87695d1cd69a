package rules

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// maxDecimals bounds number's decimals.
const maxDecimals = 20

// numberFunc formats a number with fixed decimals and grouped thousands:
// {{ number 2 .event.amount }} gives "1,234.50". With two separators
// before the value, {{ number 2 "." "," .event.amount }}, they replace ","
// and "." ("1.234,50"); an empty thousands separator groups nothing.
// Halves round away from zero, on the number as written (2.675 gives
// 2.68).
func numberFunc(decimals int, args ...any) (string, error) {
	thousands, point := ",", "."
	switch len(args) {
	case 1:
	case 3:
		var ok1, ok2 bool
		thousands, ok1 = args[0].(string)
		point, ok2 = args[1].(string)
		if !ok1 || !ok2 {
			return "", errors.New("number: the separators must be strings: number DECIMALS THOUSANDS POINT VALUE")
		}
	default:
		return "", errors.New("number: write number DECIMALS VALUE or number DECIMALS THOUSANDS POINT VALUE")
	}
	if decimals < 0 || decimals > maxDecimals {
		return "", fmt.Errorf("number: decimals must be 0 to %d, found %d", maxDecimals, decimals)
	}
	r, err := toRat(args[len(args)-1])
	if err != nil {
		return "", fmt.Errorf("number: %w", err)
	}
	s := r.FloatString(decimals)
	if strings.Trim(s, "-0.") == "" { // rounded to zero: no "-0.00"
		s = strings.TrimPrefix(s, "-")
	}
	return groupDigits(s, thousands, point), nil
}

// toRat reads a number exactly: ints, floats (as their shortest decimal
// form), and strings holding a number (big integers, CSV values).
func toRat(v any) (*big.Rat, error) {
	var s string
	switch x := v.(type) {
	case nil:
		return nil, errNoValue
	case int:
		return new(big.Rat).SetInt64(int64(x)), nil
	case int64:
		return new(big.Rat).SetInt64(x), nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, fmt.Errorf("%v is not a finite number", x)
		}
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		if !decimalRE.MatchString(x) {
			return nil, fmt.Errorf("%q is not a number", x)
		}
		s = strings.TrimPrefix(x, "+")
	default:
		return nil, fmt.Errorf("cannot use %s as a number", describeValue(v))
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("%q is not a number", s)
	}
	return r, nil
}

// groupDigits puts thousands between groups of three digits of the
// integer part of s ("-1234.50") and point for its ".".
func groupDigits(s, thousands, point string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(thousands)
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteString(point)
		b.WriteString(frac)
	}
	return b.String()
}

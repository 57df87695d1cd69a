package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// errNoValue is the error for an interpolated value that is missing or
// null: it is never rendered as "<no value>".
var errNoValue = errors.New("value is missing or null")

// formatText renders a value for a text message or a dedup key: strings
// as they are, numbers with their exact digits, times in RFC 3339, lists
// and maps as JSON.
func formatText(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", errNoValue
	case string:
		return x, nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		return formatFloat(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case time.Time:
		return x.Format(time.RFC3339), nil
	case time.Duration:
		return x.String(), nil
	case fmt.Stringer:
		return x.String(), nil
	}
	b, err := marshalJSON(v, false)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// formatFloat writes a float without an exponent where that is exact and
// short (1e6 renders as 1000000), as JSON would.
func formatFloat(f float64) string {
	if a := math.Abs(f); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// marshalJSON encodes v as JSON without a trailing newline.
func marshalJSON(v any, escapeHTML bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(jsonSafe(v)); err != nil {
		return nil, fmt.Errorf("encode JSON: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// jsEscaper escapes, inside JSON strings, what JSON leaves alone but a
// JavaScript context could read as code: quotes and backticks closing the
// author's literal, "${" in a template literal, "/" ending a comment or
// forming "</script>".
var jsEscaper = strings.NewReplacer(
	`'`, `\u0027`,
	"`", `\u0060`,
	`$`, `\u0024`,
	`/`, `\/`,
)

// formatJS renders a value for a script message as a JavaScript literal:
// strings (and times) as string literals, numbers, booleans, and lists and
// maps as JSON. The output contains no character that can end a string,
// template literal, comment or script element: quotes, backslashes,
// backticks, "$", "/", "<", ">", "&", U+2028, U+2029 and control
// characters inside strings are \-escaped. Interpolated event data can
// therefore never become code.
func formatJS(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", errNoValue
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		if !math.IsInf(x, 0) && !math.IsNaN(x) {
			return formatFloat(x), nil
		}
	case time.Duration:
		v = x.String()
	case fmt.Stringer:
		if _, isTime := v.(time.Time); !isTime {
			v = x.String()
		}
	}
	b, err := marshalJSON(v, true) // escapes < > & U+2028 U+2029
	if err != nil {
		return "", err
	}
	return jsEscaper.Replace(string(b)), nil
}

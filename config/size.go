package config

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Size is a number of bytes, written as a byte count or with a unit:
// B, KiB, MiB, GiB (powers of 1024) or KB, MB, GB (powers of 1000).
type Size int64

var sizeUnits = []struct {
	suffix string
	factor int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
	{"B", 1},
}

// ParseSize parses "1MiB", "512KiB", "1048576".
func ParseSize(s string) (Size, error) {
	s = strings.TrimSpace(s)
	factor := int64(1)
	for _, u := range sizeUnits {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			s, factor = strings.TrimSpace(num), u.factor
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid size %q: want a byte count or a number with KiB, MiB, GiB, KB, MB or GB", s)
	}
	if n > (1<<62)/factor {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return Size(n * factor), nil
}

// UnmarshalYAML reads a size from a scalar.
func (s *Size) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a size such as 1MiB")
	}
	v, err := ParseSize(node.Value)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

package config

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// expandEnv replaces ${VAR} and ${VAR:-default} in every scalar value (not
// keys) of the tree, once: an expanded value is never expanded again, so a
// secret may hold any character. It records, per value node, the variable
// names used.
func expandEnv(n *yaml.Node, lookup func(string) (string, bool), used map[*yaml.Node]string) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			expandEnv(c, lookup, used)
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			expandEnv(n.Content[i], lookup, used)
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return
		}
		var names []string
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			m := envRef.FindStringSubmatch(ref)
			names = append(names, m[1])
			if v, ok := lookup(m[1]); ok && v != "" {
				return v
			}
			return m[3]
		})
		used[n] = strings.Join(names, ", ")
		// Resolve the tag again from the expanded text, so "${PORT}" can
		// fill a number field; string fields take the text as it is.
		n.Tag = ""
		n.Style = 0
	}
}

// describeEnv says which variables a value came from, for error messages.
func describeEnv(vars string) string {
	if vars == "" {
		return ""
	}
	return fmt.Sprintf(" (from ${%s})", vars)
}

package config

import "testing"

// A tab in indentation is reported at the tab, as rule files report it;
// yaml.v3 names an earlier line.
func TestParseTabInIndentation(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"tab before a key", "rules: [a]\nkore:\n  host: https://x\n\tbot_id: b\n",
			"k.yaml:4:1: found a tab character in indentation (YAML allows only spaces)"},
		{"tab after spaces", "rules: [a]\nkore:\n  host: https://x\n  budget:\n  \tper_minute: 1\n",
			"k.yaml:5:3: found a tab character in indentation (YAML allows only spaces)"},
		{"other syntax errors keep yaml.v3's line", "rules: [a\nkore: {}\n",
			"k.yaml:2:1: did not find expected ',' or ']'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("k.yaml", []byte(tt.yaml), env(nil))
			if err == nil || err.Error() != tt.want {
				t.Errorf("Parse error %v, want %s", err, tt.want)
			}
		})
	}
}

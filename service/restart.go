package service

import (
	"reflect"
	"slices"
	"strings"

	"github.com/korelay/korelay/config"
)

// restartOnly are the configuration sections a reload cannot apply: the
// connections, listeners and Kore client are built once, at start.
var restartOnly = []string{"kore", "nats", "http", "log", "dry_run", "journal"}

// needsRestart names the keys of the restart-only sections that differ
// between old and next, e.g. "nats.url" or "kore.client_secret" (names
// only, never values).
func needsRestart(old, next *config.Config) []string {
	var changed []string
	ov, nv := reflect.ValueOf(old).Elem(), reflect.ValueOf(next).Elem()
	for i := range ov.NumField() {
		if name := yamlName(ov.Type().Field(i)); slices.Contains(restartOnly, name) {
			changed = diffValues(name, ov.Field(i), nv.Field(i), changed)
		}
	}
	return changed
}

// diffValues appends the dotted paths under path whose values differ,
// descending into structs; other values are compared whole.
func diffValues(path string, a, b reflect.Value, out []string) []string {
	if a.Kind() == reflect.Struct {
		for i := range a.NumField() {
			f := a.Type().Field(i)
			if name := yamlName(f); name != "" && f.IsExported() {
				out = diffValues(path+"."+name, a.Field(i), b.Field(i), out)
			}
		}
		return out
	}
	if !reflect.DeepEqual(a.Interface(), b.Interface()) {
		out = append(out, path)
	}
	return out
}

// yamlName is a field's configuration key; "" for fields not read from
// the file.
func yamlName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

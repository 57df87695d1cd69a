package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/korelay/korelay/internal/yamlerr"
)

// DefaultFile is the configuration file used when -config is not given.
const DefaultFile = "korelay.yaml"

// MaxFileSize bounds the configuration file korelay reads.
const MaxFileSize = 4 << 20

// Load reads, expands, decodes, defaults and validates the configuration
// file. All problems are returned at once, joined, one line each.
func Load(file string) (*Config, error) {
	return LoadEnv(file, os.LookupEnv)
}

// LoadEnv is Load with an explicit environment lookup.
func LoadEnv(file string, lookup func(string) (string, bool)) (*Config, error) {
	data, err := readFile(file)
	if err != nil {
		return nil, err
	}
	return Parse(file, data, lookup)
}

func readFile(file string) ([]byte, error) {
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &missingFileError{file: file, err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: is a folder, not a configuration file; pass -config FILE, e.g. -config %s",
			file, filepath.Join(file, DefaultFile))
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s: config file is larger than %d bytes", file, MaxFileSize)
	}
	data := make([]byte, st.Size())
	if _, err := f.ReadAt(data, 0); err != nil && st.Size() > 0 {
		return nil, fmt.Errorf("config: read %s: %w", file, err)
	}
	return data, nil
}

// missingFileError is a configuration file that does not exist; it says
// where to start. It unwraps to fs.ErrNotExist.
type missingFileError struct {
	file string
	err  error
}

func (e *missingFileError) Error() string {
	return e.file + ": no such file; copy config.example.yaml to start, or pass -config FILE"
}

func (e *missingFileError) Unwrap() error { return e.err }

// Parse decodes configuration text as if read from file (used for the
// folder that relative paths resolve against and in messages).
func Parse(file string, data []byte, lookup func(string) (string, bool)) (*Config, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg := &Config{File: file, Dir: filepath.Dir(abs), positions: map[string]Position{},
		keyPositions: map[string]Position{}, envVars: map[string]string{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlSyntaxError(file, data, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: the configuration file is empty", file)
	}
	used := map[*yaml.Node]string{}
	expandEnv(&doc, lookup, used)
	d := &decoder{file: file, positions: cfg.positions, keys: cfg.keyPositions}
	d.decode(doc.Content[0], reflect.ValueOf(cfg).Elem(), "")
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	recordEnvVars(doc.Content[0], "", used, cfg.envVars)
	cfg.applyDefaults()
	cfg.resolvePaths()
	if err := cfg.Validate(); err != nil {
		return nil, &InvalidError{Config: cfg, Err: err}
	}
	return cfg, nil
}

// InvalidError is Parse's (and Load's) error for a file that was decoded
// but failed validation. It carries the decoded configuration, with its
// defaults, so that `korelay validate` can go on and report the problems
// of the rules too: every error of every phase at once.
type InvalidError struct {
	// Config is the decoded configuration; it must not be run.
	Config *Config
	// Err joins every validation problem, one line each.
	Err error
}

// Error returns the validation problems, one line each.
func (e *InvalidError) Error() string { return e.Err.Error() }

// Unwrap returns the validation problems.
func (e *InvalidError) Unwrap() error { return e.Err }

func recordEnvVars(n *yaml.Node, path string, used map[*yaml.Node]string, out map[string]string) {
	if n.Kind != yaml.MappingNode {
		if v, ok := used[n]; ok {
			out[path] = v
		}
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		recordEnvVars(n.Content[i+1], join(path, n.Content[i].Value), used, out)
	}
}

// yamlSyntaxError reports a YAML syntax error in file's data as
// "file:line:col: message", as rule files report theirs (a tab in
// indentation at the tab's own line and column).
func yamlSyntaxError(file string, data []byte, err error) error {
	line, col, msg := yamlerr.Locate(data, err)
	return fmt.Errorf("%s:%d:%d: %s", file, line, col, msg)
}

func (c *Config) applyDefaults() {
	setDefault(&c.Kore.Host, "https://platform.kore.ai")
	setDefault(&c.Kore.Timeout, 10*time.Second)
	setDefault(&c.Kore.Budget.PerMinute, KorePerMinute)
	setDefault(&c.Kore.Budget.PerHour, KorePerHour)
	setDefault(&c.Kore.DevicePathPrefix, "/api/public/streams/{id}")
	setDefault(&c.Kore.MaxAttempts, 8)
	setDefault(&c.NATS.Listen, "127.0.0.1:4222")
	setDefault(&c.NATS.DataDir, "./data")
	setDefault(&c.NATS.Stream, "KORELAY")
	setDefault(&c.NATS.AckWait, 30*time.Second)
	setDefault(&c.NATS.MaxDeliver, 10)
	setDefault(&c.NATS.MaxAckPending, 512)
	setDefault(&c.NATS.Replicas, 1)
	setDefault(&c.HTTP.Listen, "127.0.0.1:8080")
	setDefault(&c.HTTP.MaxBody, 1<<20)
	setDefault(&c.Journal.MaxAge, 24*time.Hour)
	setDefault(&c.Journal.MaxBytes, 256<<20)
	setDefault(&c.Log.Level, "info")
	setDefault(&c.Log.Format, "text")
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

func (c *Config) resolvePaths() {
	c.NATS.DataDir = c.Path(c.NATS.DataDir)
	c.NATS.CredsFile = c.Path(c.NATS.CredsFile)
	c.NATS.TLS.CA = c.Path(c.NATS.TLS.CA)
	c.NATS.TLS.Cert = c.Path(c.NATS.TLS.Cert)
	c.NATS.TLS.Key = c.Path(c.NATS.TLS.Key)
	for name, p := range c.Datasets {
		c.Datasets[name] = c.Path(p)
	}
}

// Path resolves p against the configuration file's folder; empty stays empty.
func (c *Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}

func sortStrings(s []string) { sort.Strings(s) }

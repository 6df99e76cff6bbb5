package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"gopkg.in/yaml.v3"
)

// Sources are where configuration comes from, lowest precedence first: files
// (merged in order), then the environment, then --set style overrides.
type Sources struct {
	Files []string
	// Env looks up an environment variable; nil means the process environment.
	Env func(string) (string, bool)
	// Sets are "dotted.key=value" overrides from the command line.
	Sets []string
	// Dev forces development mode on (the --dev flag).
	Dev bool
}

// Problem is one thing wrong with the configuration.
type Problem struct {
	Key     string // dotted path, or the file name for file-level problems
	Message string
}

// Problems is every problem found at once; it is the error Load returns.
type Problems []Problem

func (p Problems) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid configuration (%d problem", len(p))
	if len(p) != 1 {
		b.WriteString("s")
	}
	b.WriteString("):")
	for _, pr := range p {
		fmt.Fprintf(&b, "\n  - %s: %s", pr.Key, pr.Message)
	}
	return b.String()
}

// Load reads, merges and validates the configuration. On failure the error is
// Problems listing everything wrong, each naming its key.
func Load(src Sources) (*Config, error) {
	env := src.Env
	if env == nil {
		env = OSEnv
	}
	var problems Problems
	doc := map[string]any{}
	origin := map[string]string{} // dotted key -> where a value came from, for messages

	for _, f := range src.Files {
		m, err := readFile(f)
		if err != nil {
			problems = append(problems, Problem{Key: f, Message: err.Error()})
			continue
		}
		merge(doc, m)
	}

	keys := knownKeys()
	envNames := make([]string, 0, len(keys))
	for name := range keys {
		envNames = append(envNames, name)
	}
	sort.Strings(envNames) // parents before children, so a child value wins
	for _, name := range envNames {
		raw, ok := env(name)
		if !ok {
			continue
		}
		info := keys[name]
		setPath(doc, info.Path, parseValue(raw, info.Types))
		origin[strings.Join(info.Path, ".")] = "from environment variable " + name
	}
	for _, s := range src.Sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok || strings.TrimSpace(k) == "" {
			problems = append(problems, Problem{Key: s, Message: "override must look like key.path=value"})
			continue
		}
		path := strings.Split(strings.TrimSpace(k), ".")
		setPath(doc, path, parseValue(v, keys[EnvName(path)].Types))
		origin[strings.Join(path, ".")] = "from --set"
	}
	if src.Dev {
		doc["dev"] = true
	}

	// Normalise to what encoding/json produces so the validator and the decoder
	// see the same values.
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, append(problems, Problem{Key: "config", Message: err.Error()})
	}
	inst, err := decodeJSON(b)
	if err != nil {
		return nil, append(problems, Problem{Key: "config", Message: err.Error()})
	}
	if err := validate(inst, len(doc) == 0); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return nil, fmt.Errorf("config schema: %w", err)
		}
		for _, p := range flatten(ve) {
			if o, ok := origin[p.Key]; ok {
				p.Message += " (" + o + ")"
			}
			problems = append(problems, p)
		}
	}
	cfg := Default()
	// Decode as far as possible even when the schema failed (encoding/json skips
	// mistyped fields), so the checks below still report their own problems.
	if err := json.Unmarshal(b, &cfg); err != nil && len(problems) == 0 {
		problems = append(problems, Problem{Key: "config", Message: err.Error()})
	}
	cfg.Files = src.Files
	cfg.finish(env)
	reported := map[string]bool{}
	for _, p := range problems {
		reported[p.Key] = true
	}
	for _, p := range cfg.check() {
		if !reported[p.Key] {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		sortProblems(problems)
		return nil, problems
	}
	return &cfg, nil
}

// validate checks the merged document against the schema. An empty document
// (nothing configured) is valid by construction, so start-up skips compiling
// the schema then.
func validate(inst any, empty bool) error {
	if empty {
		return nil
	}
	_, sch, err := compiledSchema()
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

func sortProblems(p Problems) {
	sort.SliceStable(p, func(i, j int) bool { return p[i].Key < p[j].Key })
}

func readFile(name string) (map[string]any, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot read file: %v", err)
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("not valid YAML or JSON: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if v == nil {
		return map[string]any{}, nil
	}
	m, ok := normalizeYAML(v).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("the top level must be a mapping of keys, not %s", jsonKind(v))
	}
	return m, nil
}

// normalizeYAML turns maps with non-string keys into string-keyed maps.
func normalizeYAML(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = normalizeYAML(e)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, e := range t {
			m[fmt.Sprint(k)] = normalizeYAML(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = normalizeYAML(e)
		}
		return t
	}
	return v
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "a list"
	case string:
		return "a string"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// merge copies src into dst: mappings merge key by key, anything else replaces.
func merge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

func setPath(doc map[string]any, path []string, v any) {
	cur := doc
	for _, p := range path[:len(path)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	cur[path[len(path)-1]] = v
}

func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

var printer = message.NewPrinter(language.English)

// flatten turns a validation error tree into one problem per leaf. For oneOf and
// anyOf only the alternative that got furthest is reported, so a typo in one
// key does not print every way the value could have been written.
func flatten(ve *jsonschema.ValidationError) Problems {
	var out Problems
	seen := map[string]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		switch e.ErrorKind.(type) {
		case *kind.OneOf, *kind.AnyOf:
			if best := bestBranch(e.Causes); best != nil {
				walk(best)
				return
			}
		}
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		for _, p := range leafProblems(e) {
			id := p.Key + "\x00" + p.Message
			if !seen[id] {
				seen[id] = true
				out = append(out, p)
			}
		}
	}
	walk(ve)
	return out
}

func bestBranch(causes []*jsonschema.ValidationError) *jsonschema.ValidationError {
	var best *jsonschema.ValidationError
	bestDepth := -1
	for _, c := range causes {
		if d := maxDepth(c); d > bestDepth {
			best, bestDepth = c, d
		}
	}
	return best
}

func maxDepth(e *jsonschema.ValidationError) int {
	d := len(e.InstanceLocation)
	for _, c := range e.Causes {
		if cd := maxDepth(c); cd > d {
			d = cd
		}
	}
	return d
}

func leafProblems(e *jsonschema.ValidationError) Problems {
	key := strings.Join(e.InstanceLocation, ".")
	if key == "" {
		key = "(top level)"
	}
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		out := make(Problems, 0, len(k.Properties))
		for _, p := range k.Properties {
			full := p
			if len(e.InstanceLocation) > 0 {
				full = key + "." + p
			}
			out = append(out, Problem{Key: full, Message: "unknown key"})
		}
		return out
	case *kind.Required:
		out := make(Problems, 0, len(k.Missing))
		for _, m := range k.Missing {
			full := m
			if len(e.InstanceLocation) > 0 {
				full = key + "." + m
			}
			out = append(out, Problem{Key: full, Message: "is required"})
		}
		return out
	}
	return Problems{{Key: key, Message: e.ErrorKind.LocalizedString(printer)}}
}

// check finds problems the schema cannot express.
func (c *Config) check() Problems {
	var p Problems
	if err := checkDSN(c.DSN); err != nil {
		p = append(p, Problem{Key: "dsn", Message: err.Error()})
	}
	if c.Serve.Public.Port != 0 && c.Serve.Public.Port == c.Serve.Admin.Port && c.Serve.Public.Host == c.Serve.Admin.Host {
		p = append(p, Problem{Key: "serve.admin.port", Message: "must differ from serve.public.port"})
	}
	for _, ref := range c.fileRefs() {
		if err := checkFileURL(ref.url); err != nil {
			p = append(p, Problem{Key: ref.key, Message: err.Error()})
		}
	}
	return p
}

// checkDSN accepts the forms Warden can open. It never echoes a password.
func checkDSN(dsn string) error {
	switch {
	case dsn == "memory":
		return nil
	case strings.HasPrefix(dsn, "sqlite://"):
		if strings.TrimPrefix(dsn, "sqlite://") == "" {
			return errors.New("sqlite:// needs a file path, e.g. sqlite://./warden.db")
		}
		return nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		u, err := url.Parse(dsn)
		if err != nil {
			return errors.New("not a valid postgres:// URL")
		}
		if u.Host == "" {
			return errors.New("postgres:// URL needs a host, e.g. postgres://user:pass@127.0.0.1:5432/warden")
		}
		return nil
	}
	scheme, _, found := strings.Cut(dsn, "://")
	if !found {
		return errors.New("must be memory, sqlite://PATH or postgres://USER:PASS@HOST:PORT/DB")
	}
	return fmt.Errorf("unsupported database %q: use sqlite:// or postgres://", scheme)
}

type fileRef struct{ key, url string }

// fileRefs are the file:// locations the configuration names, so a missing file
// stops start-up with its key instead of failing later.
func (c *Config) fileRefs() []fileRef {
	var refs []fileRef
	var identity struct {
		Schemas []struct {
			URL string `json:"url"`
		} `json:"schemas"`
	}
	_ = c.Identity.Decode(&identity)
	for i, s := range identity.Schemas {
		refs = append(refs, fileRef{fmt.Sprintf("identity.schemas.%d.url", i), s.URL})
	}
	var perm struct {
		Namespaces json.RawMessage `json:"namespaces"`
	}
	_ = c.Permission.Decode(&perm)
	var ns struct {
		Location string `json:"location"`
	}
	if json.Unmarshal(perm.Namespaces, &ns) == nil && ns.Location != "" {
		refs = append(refs, fileRef{"permission.namespaces.location", ns.Location})
	}
	var loc string
	if json.Unmarshal(perm.Namespaces, &loc) == nil && loc != "" {
		refs = append(refs, fileRef{"permission.namespaces", loc})
	}
	var proxy struct {
		AccessRules struct {
			Repositories []string `json:"repositories"`
		} `json:"access_rules"`
	}
	_ = c.Proxy.Decode(&proxy)
	for i, r := range proxy.AccessRules.Repositories {
		refs = append(refs, fileRef{fmt.Sprintf("proxy.access_rules.repositories.%d", i), r})
	}
	return refs
}

// checkFileURL reports a file:// location that cannot be read. Other schemes
// (base64://, http(s)://) are checked by the service that loads them.
func checkFileURL(raw string) error {
	if !strings.HasPrefix(raw, "file://") {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a valid file URL: %v", err)
	}
	path := u.Path
	if u.Host != "" && u.Host != "localhost" {
		path = u.Host + u.Path // file://./relative/path
	}
	if _, err := os.Stat(path); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("cannot read %s: %v", path, err)
	}
	return nil
}

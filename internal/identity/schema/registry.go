package schema

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// DefaultID is the id of the built-in schema, and the default schema id
// when none is configured (as Kratos's identity.default_schema_id).
const DefaultID = "default"

// ErrUnknownSchema is returned by Registry.Get for an id that is not
// configured.
var ErrUnknownSchema = errors.New("unknown identity schema")

//go:embed default.schema.json
var builtinSchema []byte

// builtinURL is the URL of the built-in schema.
const builtinURL = "builtin://default"

// Entry is one configured schema (an item of Kratos's identity.schemas).
type Entry struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

// Registry holds the compiled identity schemas. It is immutable and safe for
// concurrent use.
type Registry struct {
	list []*Schema
	byID map[string]*Schema
	def  *Schema
}

// NewRegistry loads and compiles every entry; defaultID names the default
// schema ("" means "default"). With no entries the registry holds only the
// built-in schema "default". Every problem is reported at once, each naming
// the schema it is about. ctx bounds fetching http(s) schemas.
func NewRegistry(ctx context.Context, entries []Entry, defaultID string, opts Options) (*Registry, error) {
	if defaultID == "" {
		defaultID = DefaultID
	}
	r := &Registry{byID: map[string]*Schema{}}
	if len(entries) == 0 {
		if defaultID != DefaultID {
			return nil, fmt.Errorf("default identity schema %q is not configured (no identity schemas are, so only the built-in %q exists)", defaultID, DefaultID)
		}
		s, err := Compile(ctx, DefaultID, builtinURL, builtinSchema, Options{})
		if err != nil {
			return nil, err
		}
		r.add(s)
		r.def = s
		return r, nil
	}
	var errs []error
	seen := map[string]bool{}
	for i, e := range entries {
		switch {
		case strings.TrimSpace(e.ID) == "":
			errs = append(errs, fmt.Errorf("identity schema #%d (%s): the id is empty", i+1, abbreviate(e.URL)))
			continue
		case seen[e.ID]:
			errs = append(errs, fmt.Errorf("identity schema %q: the id is used more than once", e.ID))
			continue
		}
		seen[e.ID] = true
		raw, err := Read(ctx, e.URL, opts)
		if err != nil {
			errs = append(errs, fmt.Errorf("identity schema %q: %w", e.ID, err))
			continue
		}
		s, err := Compile(ctx, e.ID, e.URL, raw, opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.add(s)
	}
	if !seen[defaultID] {
		errs = append(errs, fmt.Errorf("default identity schema %q is not among the configured schemas", defaultID))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	r.def = r.byID[defaultID]
	return r, nil
}

func (r *Registry) add(s *Schema) {
	r.list = append(r.list, s)
	r.byID[s.ID] = s
}

// Get returns the schema id, or an error wrapping ErrUnknownSchema.
func (r *Registry) Get(id string) (*Schema, error) {
	if s, ok := r.byID[id]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownSchema, id)
}

// Default returns the default schema.
func (r *Registry) Default() *Schema { return r.def }

// List returns the schemas in configuration order.
func (r *Registry) List() []*Schema {
	out := make([]*Schema, len(r.list))
	copy(out, r.list)
	return out
}

// Read returns the document a schema URL names: file:// (absolute, or
// relative to opts.BaseDir), base64:// (standard or URL-safe alphabet), or
// http(s):// through opts.Fetch. Documents over MaxSchemaBytes are refused.
func Read(ctx context.Context, rawURL string, opts Options) ([]byte, error) {
	lower := strings.ToLower(rawURL)
	switch {
	case strings.HasPrefix(lower, "file://"):
		p, err := filePath(rawURL, opts.BaseDir)
		if err != nil {
			return nil, err
		}
		return readFile(p)
	case strings.HasPrefix(lower, "base64://"):
		b, err := decodeBase64(rawURL[len("base64://"):])
		if err != nil {
			return nil, fmt.Errorf("the base64:// URL: %w", err)
		}
		if len(b) > MaxSchemaBytes {
			return nil, fmt.Errorf("the document is larger than %d bytes", MaxSchemaBytes)
		}
		return b, nil
	case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
		b, err := fetch(ctx, opts.Fetch, rawURL)
		if err != nil {
			return nil, fmt.Errorf("loading %s: %w", rawURL, err)
		}
		return b, nil
	case rawURL == "":
		return nil, errors.New("the url is empty")
	case strings.HasPrefix(rawURL, "/"):
		return nil, fmt.Errorf("unsupported URL %q: write file://%s for a file", rawURL, rawURL)
	}
	return nil, fmt.Errorf("unsupported URL %q: use file://, base64:// or https://", abbreviate(rawURL))
}

// abbreviate shortens long URLs (base64:// ones) for error messages.
func abbreviate(s string) string {
	if len(s) <= 80 {
		return s
	}
	cut := 77
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

package schema

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Bounds on schema documents.
const (
	// MaxSchemaBytes bounds one schema document, and each document it
	// references.
	MaxSchemaBytes = 1 << 20
	// maxSchemaDepth bounds how deeply a schema document nests.
	maxSchemaDepth = 128
	// maxRefDocuments bounds how many other documents one schema references.
	maxRefDocuments = 32
)

// FetchFunc returns the body of an http:// or https:// URL. The server
// passes its SSRF-safe outbound client here; it should bound the body size
// and the time spent.
type FetchFunc func(ctx context.Context, url string) ([]byte, error)

// Options change how schemas are loaded.
type Options struct {
	// Fetch loads http(s):// schema URLs and, with AllowRemoteRefs, http(s)
	// references. Nil refuses them.
	Fetch FetchFunc
	// AllowRemoteRefs lets a schema $ref other documents: file:// read from
	// disk, http(s):// through Fetch. Off, only references inside the same
	// document and self-contained base64:// references resolve.
	AllowRemoteRefs bool
	// BaseDir resolves relative file:// paths; empty means the working
	// directory.
	BaseDir string
}

// Schema is one compiled identity schema. It is immutable and safe for
// concurrent use.
type Schema struct {
	// ID is the schema's configured id.
	ID string
	// URL is the URL the schema was loaded from, as configured.
	URL string
	// Raw is the schema document as loaded, served by GET /schemas/{id}.
	// Callers must not modify it.
	Raw []byte

	compiled *jsonschema.Schema
	exts     []extPath
	fields   []Field
	order    map[string]int // field name → position in schema order
}

// extPath is a traits path that carries the extension.
type extPath struct {
	path path
	ext  *extension
	// arrays is set when the property may be an array, whose strings are
	// then taken one by one.
	arrays bool
}

// syntheticBase names documents that have no URL of their own (base64://,
// built in, compiled from bytes). The .invalid top-level domain never
// resolves, so relative references against it cannot reach anything.
const syntheticBase = "https://identity-schemas.warden.invalid/"

// Compile compiles raw as the identity schema id. sourceURL is where raw
// came from (it resolves relative references and becomes Schema.URL); empty,
// the schema is given a URL that resolves nothing. ctx bounds fetching the
// documents raw references.
func Compile(ctx context.Context, id, sourceURL string, raw []byte, opts Options) (*Schema, error) {
	s, err := compile(ctx, id, sourceURL, raw, opts)
	if err != nil {
		return nil, prefixErrors(fmt.Sprintf("identity schema %q", id), err)
	}
	return s, nil
}

// prefixErrors prefixes err, or each error err joins, with prefix.
func prefixErrors(prefix string, err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, prefixErrors(prefix, e))
		}
		return errors.Join(out...)
	}
	return fmt.Errorf("%s: %w", prefix, err)
}

func compile(ctx context.Context, id, sourceURL string, raw []byte, opts Options) (*Schema, error) {
	if len(raw) > MaxSchemaBytes {
		return nil, fmt.Errorf("the document is larger than %d bytes", MaxSchemaBytes)
	}
	ordered, err := decodeOrdered(raw, maxSchemaDepth)
	if err != nil {
		return nil, fmt.Errorf("the document is not valid JSON: %w", err)
	}
	root, ok := ordered.(*object)
	if !ok {
		return nil, errors.New("the document is not a JSON object")
	}
	traits := root.obj("properties").obj("traits")
	if traits == nil {
		return nil, errors.New(`the schema has no properties.traits object (the traits of an identity are described under "properties": {"traits": {...}})`)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("the document is not valid JSON: %w", err)
	}

	base := compileURL(id, sourceURL, opts.BaseDir)
	ld := &refLoader{ctx: ctx, opts: opts, docs: map[string][]byte{}}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	c.AssertFormat()
	for _, f := range formats {
		c.RegisterFormat(f)
	}
	c.UseLoader(ld)
	if err := c.AddResource(base, doc); err != nil {
		return nil, err
	}
	compiled, err := c.Compile(base)
	if err != nil {
		return nil, err
	}

	w := newWalker(ld.docs)
	w.register(base, root)
	w.walk(traits, base, root, nil, false)
	if err := w.finish(); err != nil {
		return nil, err
	}
	tp := w.info(nil)
	if t := tp.types(); len(t) > 0 && !slices.Contains(t, "object") {
		return nil, fmt.Errorf("traits must be of type object, not %s", strings.Join(t, ", "))
	}
	if !hasTopLevelProperty(w) {
		return nil, errors.New("traits must declare at least one property")
	}

	s := &Schema{ID: id, URL: sourceURL, Raw: bytes.Clone(raw), compiled: compiled, order: map[string]int{}}
	for _, pi := range w.order {
		if pi.ext != nil {
			types := pi.types()
			s.exts = append(s.exts, extPath{path: pi.path, ext: pi.ext,
				arrays: len(types) == 0 || slices.Contains(types, "array")})
		}
		if !pi.path.hasItem() {
			if _, ok := s.order[pi.path.name()]; !ok {
				s.order[pi.path.name()] = len(s.order)
			}
		}
	}
	s.fields = buildFields(w)
	return s, nil
}

func hasTopLevelProperty(w *walker) bool {
	for _, pi := range w.order {
		if len(pi.path) == 1 && !pi.path[0].item {
			return true
		}
	}
	return false
}

// compileURL is the URL the compiler knows the document by.
func compileURL(id, sourceURL, baseDir string) string {
	lower := strings.ToLower(sourceURL)
	switch {
	case strings.HasPrefix(lower, "file://"):
		if p, err := filePath(sourceURL, baseDir); err == nil {
			return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
		}
	case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
		if u, err := url.Parse(sourceURL); err == nil {
			u.Fragment, u.RawFragment = "", ""
			return u.String()
		}
	}
	return syntheticBase + url.PathEscape(id) + ".json"
}

// refLoader loads the documents a schema references. It keeps what it
// loaded so that the walk can follow the same references.
type refLoader struct {
	ctx  context.Context
	opts Options
	docs map[string][]byte
}

// Load implements jsonschema.URLLoader.
func (l *refLoader) Load(u string) (any, error) {
	if len(l.docs) >= maxRefDocuments {
		return nil, fmt.Errorf("more than %d referenced documents", maxRefDocuments)
	}
	b, err := l.read(u)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxSchemaBytes {
		return nil, fmt.Errorf("the document is larger than %d bytes", MaxSchemaBytes)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	l.docs[u] = b
	return doc, nil
}

func (l *refLoader) read(u string) ([]byte, error) {
	lower := strings.ToLower(u)
	if strings.HasPrefix(lower, "base64://") {
		return decodeBase64(u[len("base64://"):])
	}
	if !l.opts.AllowRemoteRefs {
		return nil, errors.New("loading other documents is not allowed (a schema may only reference its own #/... parts and base64:// documents)")
	}
	switch {
	case strings.HasPrefix(lower, syntheticBase):
		return nil, errors.New("a relative reference needs a schema loaded from a file:// or http(s):// URL")
	case strings.HasPrefix(lower, "file://"):
		pu, err := url.Parse(u)
		if err != nil {
			return nil, err
		}
		return readFile(pu.Path)
	case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
		return fetch(l.ctx, l.opts.Fetch, u)
	}
	return nil, errors.New("unsupported URL scheme")
}

// filePath is the absolute path a file:// URL names: what follows file://
// is a path, absolute or relative to baseDir (the working directory when
// empty).
func filePath(rawURL, baseDir string) (string, error) {
	p := rawURL[len("file://"):]
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	if p == "" {
		return "", errors.New("the file:// URL has no path")
	}
	if !filepath.IsAbs(p) {
		if baseDir == "" {
			wd, err := os.Getwd()
			if err != nil {
				return "", err
			}
			baseDir = wd
		}
		p = filepath.Join(baseDir, p)
	}
	return filepath.Clean(p), nil
}

// readFile reads at most MaxSchemaBytes+1 bytes of the file at p.
func readFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", p)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxSchemaBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxSchemaBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", p, MaxSchemaBytes)
	}
	return b, nil
}

func fetch(ctx context.Context, f FetchFunc, u string) ([]byte, error) {
	if f == nil {
		return nil, errors.New("fetching http(s) URLs is not enabled")
	}
	b, err := f(ctx, u)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxSchemaBytes {
		return nil, fmt.Errorf("the document is larger than %d bytes", MaxSchemaBytes)
	}
	return b, nil
}

// decodeBase64 accepts the standard and URL-safe alphabets, padded or not,
// ignoring surrounding space.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) > base64.StdEncoding.EncodedLen(MaxSchemaBytes)+4 {
		return nil, fmt.Errorf("the document is larger than %d bytes", MaxSchemaBytes)
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not valid base64")
}

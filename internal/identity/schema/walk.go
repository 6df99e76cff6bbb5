package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Bounds of the walk over a schema document: how many schema objects it
// visits and how deep a traits path may go. A legitimate identity schema is
// far below both.
const (
	maxWalkSteps = 20000
	maxPathLen   = 24
)

// extKey is the schema keyword of Kratos's identity extension.
const extKey = "ory.sh/kratos"

// seg is one step of a path inside the traits document: a property name, or
// any item of an array.
type seg struct {
	name string
	item bool
}

type path []seg

func (p path) child(s seg) path {
	c := make(path, len(p), len(p)+1)
	copy(c, p)
	return append(c, s)
}

func (p path) key() string {
	var b strings.Builder
	for _, s := range p {
		b.WriteByte(0)
		if s.item {
			b.WriteByte(1)
		} else {
			b.WriteString(s.name)
		}
	}
	return b.String()
}

// name is the dot path of p from the identity document root, with "*" for
// any array item: traits.emails.*.
func (p path) name() string {
	var b strings.Builder
	b.WriteString("traits")
	for _, s := range p {
		b.WriteByte('.')
		if s.item {
			b.WriteByte('*')
		} else {
			b.WriteString(s.name)
		}
	}
	return b.String()
}

func (p path) hasItem() bool {
	return slices.ContainsFunc(p, func(s seg) bool { return s.item })
}

// pathInfo gathers every schema object that applies at one traits path.
type pathInfo struct {
	path     path
	frags    []*object
	required bool
	ext      *extension
	// cut is set when a recursive $ref was not followed here, so the
	// schema objects at this path are incomplete.
	cut bool
}

// types lists the JSON types the schema objects at this path declare.
func (pi *pathInfo) types() []string {
	var out []string
	for _, f := range pi.frags {
		switch t := f.vals["type"].(type) {
		case string:
			out = append(out, t)
		case []any:
			for _, x := range t {
				if s, ok := x.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// first is the first string value of keyword k among the schema objects.
func (pi *pathInfo) first(k string) string {
	for _, f := range pi.frags {
		if s := f.str(k); s != "" {
			return s
		}
	}
	return ""
}

func (pi *pathInfo) value(k string) (any, bool) {
	for _, f := range pi.frags {
		if v, ok := f.get(k); ok {
			return v, true
		}
	}
	return nil, false
}

// extension is the "ory.sh/kratos" keyword of one trait property.
type extension struct {
	Credentials struct {
		Password struct {
			Identifier bool `json:"identifier"`
		} `json:"password"`
		WebAuthn struct {
			Identifier bool `json:"identifier"`
		} `json:"webauthn"`
		Passkey struct {
			DisplayName bool `json:"display_name"`
		} `json:"passkey"`
		TOTP struct {
			AccountName bool `json:"account_name"`
		} `json:"totp"`
		Code *struct {
			Identifier bool   `json:"identifier"`
			Via        string `json:"via"`
		} `json:"code"`
	} `json:"credentials"`
	Verification  *viaConfig `json:"verification"`
	Recovery      *viaConfig `json:"recovery"`
	Organizations struct {
		Matcher string `json:"matcher"`
	} `json:"organizations"`
}

type viaConfig struct {
	Via string `json:"via"`
}

func (e *extension) codeIdentifier() bool {
	return e.Credentials.Code != nil && e.Credentials.Code.Identifier
}

// marksStrings tells whether the extension takes string values from the
// traits (everything it marks does).
func (e *extension) marksStrings() bool {
	c := e.Credentials
	return c.Password.Identifier || c.WebAuthn.Identifier || c.Passkey.DisplayName ||
		c.TOTP.AccountName || e.codeIdentifier() || e.Verification != nil || e.Recovery != nil
}

func parseExtension(v any) (*extension, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	e := new(extension)
	if err := dec.Decode(e); err != nil {
		return nil, err
	}
	check := func(where, via string) error {
		if via != "" && via != ViaEmail && via != ViaSMS {
			return fmt.Errorf("%s.via is %q, want %q or %q", where, via, ViaEmail, ViaSMS)
		}
		return nil
	}
	var errs []error
	if c := e.Credentials.Code; c != nil {
		errs = append(errs, check("credentials.code", c.Via))
	}
	if e.Verification != nil {
		errs = append(errs, check("verification", e.Verification.Via))
	}
	if e.Recovery != nil {
		errs = append(errs, check("recovery", e.Recovery.Via))
	}
	if m := e.Organizations.Matcher; m != "" && m != "email_domain" {
		errs = append(errs, fmt.Errorf("organizations.matcher is %q, want \"email_domain\"", m))
	}
	return e, errors.Join(errs...)
}

// merge adds what o marks to e; a channel set first stays.
func (e *extension) merge(o *extension) {
	c, oc := &e.Credentials, o.Credentials
	c.Password.Identifier = c.Password.Identifier || oc.Password.Identifier
	c.WebAuthn.Identifier = c.WebAuthn.Identifier || oc.WebAuthn.Identifier
	c.Passkey.DisplayName = c.Passkey.DisplayName || oc.Passkey.DisplayName
	c.TOTP.AccountName = c.TOTP.AccountName || oc.TOTP.AccountName
	if c.Code == nil {
		c.Code = oc.Code
	} else if oc.Code != nil {
		c.Code.Identifier = c.Code.Identifier || oc.Code.Identifier
		if c.Code.Via == "" {
			c.Code.Via = oc.Code.Via
		}
	}
	mergeVia := func(a **viaConfig, b *viaConfig) {
		if *a == nil {
			*a = b
		} else if b != nil && (*a).Via == "" {
			(*a).Via = b.Via
		}
	}
	mergeVia(&e.Verification, o.Verification)
	mergeVia(&e.Recovery, o.Recovery)
	if e.Organizations.Matcher == "" {
		e.Organizations.Matcher = o.Organizations.Matcher
	}
}

// walker visits the traits part of a schema document without validating
// anything: it follows properties, array items, $ref, allOf, anyOf, oneOf
// and if/then/else, and records per traits path the schema objects that
// apply, whether the path is required and the extension it carries.
// Branches of anyOf, oneOf and if/then/else contribute their extension and
// form hints but never make a property required. A $ref already being
// followed is not followed again, so recursive schemas unroll once.
type walker struct {
	docs     map[string]any    // document URL → decoded root
	raw      map[string][]byte // documents loaded for $ref, decoded on use
	infos    map[string]*pathInfo
	order    []*pathInfo
	required map[string]bool
	active   map[string]bool
	steps    int
	errs     []error
}

func newWalker(raw map[string][]byte) *walker {
	return &walker{
		docs:     map[string]any{},
		raw:      raw,
		infos:    map[string]*pathInfo{},
		required: map[string]bool{},
		active:   map[string]bool{},
	}
}

func (w *walker) info(p path) *pathInfo {
	k := p.key()
	if pi, ok := w.infos[k]; ok {
		return pi
	}
	pi := &pathInfo{path: p}
	w.infos[k] = pi
	w.order = append(w.order, pi)
	return pi
}

// register makes root reachable under url and under its own $id.
func (w *walker) register(u string, root any) {
	if _, ok := w.docs[u]; !ok {
		w.docs[u] = root
	}
	if o, ok := root.(*object); ok {
		if id := o.str("$id"); id != "" && !strings.HasPrefix(id, "#") {
			if abs := resolveURL(u, id); abs != "" {
				if _, ok := w.docs[abs]; !ok {
					w.docs[abs] = root
				}
			}
		}
	}
}

func (w *walker) doc(u string) (any, bool) {
	if d, ok := w.docs[u]; ok {
		return d, true
	}
	b, ok := w.raw[u]
	if !ok {
		return nil, false
	}
	d, err := decodeOrdered(b, maxSchemaDepth)
	if err != nil {
		return nil, false
	}
	w.register(u, d)
	return d, true
}

func (w *walker) walk(v any, base string, root any, p path, cond bool) {
	o, ok := v.(*object)
	if !ok {
		return
	}
	w.steps++
	if w.steps == maxWalkSteps {
		w.errs = append(w.errs, fmt.Errorf("the schema has more than %d subschemas under traits", maxWalkSteps))
	}
	if w.steps >= maxWalkSteps {
		return
	}
	if id := o.str("$id"); id != "" && !strings.HasPrefix(id, "#") {
		if abs := resolveURL(base, id); abs != "" {
			base, root = abs, o
			w.register(abs, o)
		}
	}
	pi := w.info(p)
	pi.frags = append(pi.frags, o)
	if x, ok := o.get(extKey); ok {
		e, err := parseExtension(x)
		if err != nil {
			w.errs = append(w.errs, fmt.Errorf("%s: invalid %q: %w", p.name(), extKey, err))
		} else if pi.ext == nil {
			pi.ext = e
		} else {
			pi.ext.merge(e)
		}
	}
	if ref := o.str("$ref"); ref != "" {
		w.follow(ref, base, root, p, cond)
	}
	for _, kw := range []string{"allOf", "anyOf", "oneOf"} {
		if arr, ok := o.vals[kw].([]any); ok {
			for _, sub := range arr {
				w.walk(sub, base, root, p, cond || kw != "allOf")
			}
		}
	}
	for _, kw := range []string{"then", "else"} {
		if sub, ok := o.get(kw); ok {
			w.walk(sub, base, root, p, true)
		}
	}
	if props := o.obj("properties"); props != nil && len(p) < maxPathLen {
		for _, k := range props.keys {
			w.walk(props.vals[k], base, root, p.child(seg{name: k}), cond)
		}
	}
	if req, ok := o.vals["required"].([]any); ok && !cond {
		for _, r := range req {
			if s, ok := r.(string); ok {
				w.required[p.child(seg{name: s}).key()] = true
			}
		}
	}
	if len(p) < maxPathLen {
		item := p.child(seg{item: true})
		switch it := o.vals["items"].(type) {
		case *object:
			w.walk(it, base, root, item, cond)
		case []any:
			for _, sub := range it {
				w.walk(sub, base, root, item, cond)
			}
		}
		if arr, ok := o.vals["prefixItems"].([]any); ok {
			for _, sub := range arr {
				w.walk(sub, base, root, item, cond)
			}
		}
	}
}

// follow walks the target of a $ref. References to documents that were not
// loaded, and to anchors, are left alone: the compiler has already resolved
// every reference, so nothing here can be missing for validation.
func (w *walker) follow(ref, base string, root any, p path, cond bool) {
	docPart, frag, _ := strings.Cut(ref, "#")
	tBase, tRoot := base, root
	if docPart != "" {
		tBase = resolveURL(base, docPart)
		d, ok := w.doc(tBase)
		if !ok {
			return
		}
		tRoot = d
	}
	key := tBase + "#" + frag
	if w.active[key] {
		w.info(p).cut = true
		return
	}
	target, ok := pointer(tRoot, frag)
	if !ok {
		return
	}
	w.active[key] = true
	w.walk(target, tBase, tRoot, p, cond)
	delete(w.active, key)
}

// finish marks required paths and checks every extension against the
// property it is on. It returns the walk's errors.
func (w *walker) finish() error {
	for _, pi := range w.order {
		pi.required = w.required[pi.path.key()]
		if pi.ext == nil {
			continue
		}
		if err := w.checkExtension(pi); err != nil {
			w.errs = append(w.errs, fmt.Errorf("%s: %w", pi.path.name(), err))
		}
	}
	return errors.Join(w.errs...)
}

// verificationFormats are the formats Kratos accepts on a property that
// carries a verification channel.
var verificationFormats = []string{"email", "tel", "date", "time", "date-time", "no-validate"}

func (w *walker) checkExtension(pi *pathInfo) error {
	e := pi.ext
	if types := pi.types(); e.marksStrings() && len(types) > 0 &&
		!slices.Contains(types, "string") && !slices.Contains(types, "array") {
		return fmt.Errorf("%q marks values that must be strings, but the property has type %s",
			extKey, strings.Join(types, ", "))
	}
	format := w.format(pi)
	if e.Verification != nil && format != "" && !slices.Contains(verificationFormats, format) {
		return fmt.Errorf("a property with verification cannot have format %q", format)
	}
	// A channel left out follows the format: tel is reached by SMS,
	// anything else by email.
	infer := func(via *string) {
		if *via == "" {
			*via = ViaEmail
			if format == "tel" {
				*via = ViaSMS
			}
		}
	}
	if e.Credentials.Code != nil {
		infer(&e.Credentials.Code.Via)
	}
	if e.Verification != nil {
		infer(&e.Verification.Via)
	}
	if e.Recovery != nil {
		infer(&e.Recovery.Via)
	}
	return nil
}

// format is the format of the values at pi: its own, or its items' for an
// array.
func (w *walker) format(pi *pathInfo) string {
	if f := pi.first("format"); f != "" {
		return f
	}
	if it, ok := w.infos[pi.path.child(seg{item: true}).key()]; ok {
		return it.first("format")
	}
	return ""
}

func resolveURL(base, ref string) string {
	r, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if b, err := url.Parse(base); err == nil {
		r = b.ResolveReference(r)
	}
	r.Fragment, r.RawFragment = "", ""
	return r.String()
}

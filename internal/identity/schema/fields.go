package schema

import (
	"encoding/json"
	"slices"
)

// Field is one form input a UI builds from the schema.
type Field struct {
	// Name is the input's name, a dot path: traits.email, traits.name.first.
	Name string `json:"name"`
	// Type is the HTML input type: email, tel, date, datetime-local, url,
	// number (number and integer), checkbox (boolean) or text.
	Type string `json:"type"`
	// Format is the schema's format, if any.
	Format string `json:"format,omitempty"`
	// Required is set when the property and every object it is nested in
	// are required (an optional object may be left out with its required
	// properties). Required properties inside anyOf, oneOf or if/then/else
	// branches do not count.
	Required bool `json:"required,omitempty"`
	// Title is the schema's title, the input's label; empty when the
	// schema has none.
	Title string `json:"title,omitempty"`
	// Autocomplete is the HTML autocomplete hint: email, tel and url by
	// format, else username for a password or WebAuthn identifier.
	Autocomplete string `json:"autocomplete,omitempty"`
	// Pattern and MaxLength come from the schema (0: no maximum).
	Pattern   string `json:"pattern,omitempty"`
	MaxLength int    `json:"maxlength,omitempty"`
	// Options are the allowed values (the schema's enum).
	Options []any `json:"options,omitempty"`
	// Multiple marks an array property: the input takes several values,
	// described by the array's items.
	Multiple bool `json:"multiple,omitempty"`
}

// Fields returns the form fields of the schema's traits in the order the
// properties appear in the schema document. Objects are flattened into
// their properties; an array is one field (Multiple).
func (s *Schema) Fields() []Field {
	out := slices.Clone(s.fields)
	for i := range out {
		out[i].Options = slices.Clone(out[i].Options)
	}
	return out
}

func buildFields(w *walker) []Field {
	parents := map[string]bool{}
	for _, pi := range w.order {
		if n := len(pi.path); n > 0 {
			parents[pi.path[:n-1].key()] = true
		}
	}
	var out []Field
	for _, pi := range w.order {
		if len(pi.path) == 0 || pi.path.hasItem() || pi.cut {
			continue
		}
		t := primaryType(pi.types())
		if t == "object" || t == "" && (hasKeyword(pi, "properties") || parents[pi.path.key()]) {
			continue
		}
		leaf, multiple := pi, false
		if t == "array" {
			multiple = true
			if it, ok := w.infos[pi.path.child(seg{item: true}).key()]; ok {
				leaf = it
			}
		}
		f := Field{
			Name:     pi.path.name(),
			Format:   leaf.first("format"),
			Required: requiredChain(w, pi),
			Title:    firstOf(pi.first("title"), leaf.first("title")),
			Pattern:  leaf.first("pattern"),
			Multiple: multiple,
		}
		f.Type = inputType(primaryType(leaf.types()), f.Format)
		if n, ok := leaf.value("maxLength"); ok {
			if num, ok := n.(json.Number); ok {
				if v, err := num.Int64(); err == nil && v > 0 && v <= 1<<31-1 {
					f.MaxLength = int(v)
				}
			}
		}
		if e, ok := leaf.value("enum"); ok {
			if arr, ok := e.([]any); ok {
				for _, v := range arr {
					f.Options = append(f.Options, plain(v))
				}
			}
		}
		f.Autocomplete = autocomplete(f.Format, pi.ext, leaf.ext)
		out = append(out, f)
	}
	return out
}

func primaryType(types []string) string {
	for _, t := range types {
		if t != "null" {
			return t
		}
	}
	return ""
}

func hasKeyword(pi *pathInfo, k string) bool {
	_, ok := pi.value(k)
	return ok
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// requiredChain tells whether pi and each object above it is required.
func requiredChain(w *walker, pi *pathInfo) bool {
	if !pi.required {
		return false
	}
	for k := 1; k < len(pi.path); k++ {
		if up, ok := w.infos[pi.path[:k].key()]; !ok || !up.required {
			return false
		}
	}
	return true
}

func inputType(t, format string) string {
	switch t {
	case "number", "integer":
		return "number"
	case "boolean":
		return "checkbox"
	}
	switch format {
	case "email":
		return "email"
	case "tel":
		return "tel"
	case "date":
		return "date"
	case "date-time":
		return "datetime-local"
	case "uri":
		return "url"
	}
	return "text"
}

func autocomplete(format string, exts ...*extension) string {
	switch format {
	case "email":
		return "email"
	case "tel":
		return "tel"
	case "uri":
		return "url"
	}
	for _, e := range exts {
		if e != nil && (e.Credentials.Password.Identifier || e.Credentials.WebAuthn.Identifier) {
			return "username"
		}
	}
	return ""
}

// plain turns a decoded schema value into encoding/json's shapes.
func plain(v any) any {
	switch t := v.(type) {
	case *object:
		m := make(map[string]any, len(t.keys))
		for _, k := range t.keys {
			m[k] = plain(t.vals[k])
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = plain(x)
		}
		return out
	}
	return v
}

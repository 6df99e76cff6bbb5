package config

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed warden.schema.json ory/*.config.schema.json
var schemaFS embed.FS

// section describes how one Warden service section is made of an Ory product's
// configuration: Inline names product keys whose children become section keys
// (Kratos's own `identity` block, Hydra's own `oauth2` block), Keys names product
// top-level keys carried over as they are.
type section struct {
	Product string
	Inline  []string
	Keys    []string
}

var sections = map[string]section{
	"identity": {
		Product: "kratos",
		Inline:  []string{"identity"},
		Keys: []string{"selfservice", "courier", "session", "hashers", "ciphers", "cookies",
			"security", "oauth2_provider", "clients", "feature_flags"},
	},
	"oauth2": {
		Product: "hydra",
		Inline:  []string{"oauth2"},
		Keys:    []string{"urls", "ttl", "strategies", "oidc", "webfinger", "clients", "feature_flags"},
	},
	"permission": {
		Product: "keto",
		Keys:    []string{"namespaces", "limit", "feature_flags"},
	},
	"proxy": {
		Product: "oathkeeper",
		Keys:    []string{"access_rules", "authenticators", "authorizers", "mutators", "errors"},
	},
}

var (
	schemaOnce     sync.Once
	schemaDoc      map[string]any
	schemaCompiled *jsonschema.Schema
	schemaErr      error
)

// Schema returns Warden's whole configuration schema as a JSON document: the
// top-level keys plus each service section built from the matching Ory schema.
func Schema() ([]byte, error) {
	doc, _, err := compiledSchema()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func compiledSchema() (map[string]any, *jsonschema.Schema, error) {
	schemaOnce.Do(func() {
		schemaDoc, schemaErr = buildSchema()
		if schemaErr != nil {
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		c.UseLoader(noRemoteLoader{})
		const url = "mem://warden/config.schema.json"
		if schemaErr = c.AddResource(url, schemaDoc); schemaErr != nil {
			return
		}
		schemaCompiled, schemaErr = c.Compile(url)
	})
	return schemaDoc, schemaCompiled, schemaErr
}

type noRemoteLoader struct{}

func (noRemoteLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("config schema: remote reference %q is not allowed", url)
}

func readJSON(name string) (map[string]any, error) {
	b, err := schemaFS.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return m, nil
}

func buildSchema() (map[string]any, error) {
	root, err := readJSON("warden.schema.json")
	if err != nil {
		return nil, err
	}
	defs := root["definitions"].(map[string]any)
	props := root["properties"].(map[string]any)

	names := make([]string, 0, len(sections))
	for name := range sections {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		sec := sections[name]
		product, err := readJSON("ory/" + sec.Product + ".config.schema.json")
		if err != nil {
			return nil, err
		}
		prefix := "#/definitions/" + sec.Product
		rewriteSchema(product, prefix)
		delete(product, "required")
		defs[sec.Product] = product
		productProps, _ := product["properties"].(map[string]any)

		out := map[string]any{}
		for _, in := range sec.Inline {
			p, _ := productProps[in].(map[string]any)
			children, _ := p["properties"].(map[string]any)
			if children == nil {
				return nil, fmt.Errorf("config schema: %s has no object %q", sec.Product, in)
			}
			for k := range children {
				out[k] = map[string]any{"$ref": prefix + "/properties/" + in + "/properties/" + escapePointer(k)}
			}
		}
		for _, k := range sec.Keys {
			if _, ok := productProps[k]; !ok {
				return nil, fmt.Errorf("config schema: %s has no key %q", sec.Product, k)
			}
			// Warden fills in what the product requires at this level (e.g. a
			// default return URL), so nothing here is required of the user.
			if m, ok := productProps[k].(map[string]any); ok {
				delete(m, "required")
			}
			out[k] = map[string]any{"$ref": prefix + "/properties/" + escapePointer(k)}
		}
		// Warden's own keys of the section, declared in warden.schema.json.
		if own, ok := props[name].(map[string]any); ok {
			if extra, ok := own["properties"].(map[string]any); ok {
				for k, v := range extra {
					out[k] = v
				}
			}
		}
		props[name] = map[string]any{
			"type":                 "object",
			"additionalProperties": false,
			"description":          fmt.Sprintf("The %s service; keys follow the %s configuration.", name, sec.Product),
			"properties":           out,
		}
	}
	return root, nil
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// Keywords whose value is a map from names to schemas, or a single schema, or a
// list of schemas. Everything else (enum, default, examples...) is data.
var (
	schemaMapKeywords  = map[string]bool{"properties": true, "definitions": true, "$defs": true, "patternProperties": true, "dependencies": true}
	schemaKeywords     = map[string]bool{"additionalProperties": true, "items": true, "additionalItems": true, "not": true, "if": true, "then": true, "else": true, "contains": true, "propertyNames": true}
	schemaListKeywords = map[string]bool{"allOf": true, "anyOf": true, "oneOf": true}
)

// rewriteSchema makes a product schema embeddable under prefix: local references
// are re-rooted, identifiers dropped (they would change the base of references),
// and references to documents outside the project replaced by the empty schema.
func rewriteSchema(node map[string]any, prefix string) {
	delete(node, "$id")
	delete(node, "$schema")
	if ref, ok := node["$ref"].(string); ok {
		if strings.HasPrefix(ref, "#") {
			node["$ref"] = prefix + strings.TrimPrefix(ref, "#")
		} else {
			delete(node, "$ref")
		}
	}
	for k, v := range node {
		switch {
		case schemaMapKeywords[k]:
			if m, ok := v.(map[string]any); ok {
				for _, s := range m {
					if sm, ok := s.(map[string]any); ok {
						rewriteSchema(sm, prefix)
					}
				}
			}
		case schemaKeywords[k]:
			switch s := v.(type) {
			case map[string]any:
				rewriteSchema(s, prefix)
			case []any:
				for _, item := range s {
					if sm, ok := item.(map[string]any); ok {
						rewriteSchema(sm, prefix)
					}
				}
			}
		case schemaListKeywords[k]:
			if list, ok := v.([]any); ok {
				for _, item := range list {
					if sm, ok := item.(map[string]any); ok {
						rewriteSchema(sm, prefix)
					}
				}
			}
		}
	}
}

package config

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// keyInfo is one configuration key that can be set from the environment or a
// --set flag: its path and the JSON types its schema allows.
type keyInfo struct {
	Path  []string
	Types map[string]bool
}

var (
	keysOnce  sync.Once
	keysByEnv map[string]keyInfo
)

// EnvName is the environment variable for a key path, in Ory's style:
// serve.public.port -> SERVE_PUBLIC_PORT.
func EnvName(path []string) string {
	return strings.ToUpper(strings.Join(path, "_"))
}

// knownKeys lists every key path the schema names, keyed by environment name.
func knownKeys() map[string]keyInfo {
	keysOnce.Do(func() {
		doc, _, err := compiledSchema()
		keysByEnv = map[string]keyInfo{}
		if err != nil {
			return
		}
		w := keyWalker{root: doc, out: keysByEnv, onPath: map[string]bool{}}
		w.walk(doc, nil, 0)
	})
	return keysByEnv
}

type keyWalker struct {
	root   map[string]any
	out    map[string]keyInfo
	onPath map[string]bool
}

const maxKeyDepth = 12

func (w *keyWalker) resolve(node map[string]any) (map[string]any, string) {
	ref, ok := node["$ref"].(string)
	if !ok || !strings.HasPrefix(ref, "#/") {
		return node, ""
	}
	var cur any = w.root
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		m, ok := cur.(map[string]any)
		if !ok {
			return map[string]any{}, ref
		}
		cur = m[part]
	}
	m, _ := cur.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m, ref
}

func (w *keyWalker) walk(node map[string]any, path []string, depth int) {
	if depth > maxKeyDepth {
		return
	}
	node, ref := w.resolve(node)
	if ref != "" {
		if w.onPath[ref] {
			return
		}
		w.onPath[ref] = true
		defer delete(w.onPath, ref)
	}
	if len(path) > 0 {
		name := EnvName(path)
		info, ok := w.out[name]
		if !ok {
			info = keyInfo{Path: append([]string(nil), path...), Types: map[string]bool{}}
		}
		addTypes(info.Types, node)
		w.out[name] = info
	}
	if props, ok := node["properties"].(map[string]any); ok {
		for k, v := range props {
			if child, ok := v.(map[string]any); ok {
				w.walk(child, append(path, k), depth+1)
			}
		}
	}
	for _, kw := range []string{"allOf", "anyOf", "oneOf"} {
		if list, ok := node[kw].([]any); ok {
			for _, item := range list {
				if child, ok := item.(map[string]any); ok {
					w.walk(child, path, depth+1)
				}
			}
		}
	}
	for _, kw := range []string{"then", "else"} {
		if child, ok := node[kw].(map[string]any); ok {
			w.walk(child, path, depth+1)
		}
	}
}

func addTypes(into map[string]bool, node map[string]any) {
	switch t := node["type"].(type) {
	case string:
		into[t] = true
	case []any:
		for _, s := range t {
			if str, ok := s.(string); ok {
				into[str] = true
			}
		}
	}
	if _, ok := node["properties"]; ok {
		into["object"] = true
	}
}

// parseValue turns the text of an environment variable or --set flag into the
// JSON value the key's schema expects. Text that does not parse is kept as a
// string so validation reports the key with a clear message.
func parseValue(raw string, types map[string]bool) any {
	trimmed := strings.TrimSpace(raw)
	switch {
	case types["integer"] || types["number"]:
		if _, err := strconv.ParseFloat(trimmed, 64); err == nil {
			return json.Number(trimmed)
		}
	case types["boolean"]:
		if b, err := strconv.ParseBool(trimmed); err == nil {
			return b
		}
	}
	if types["array"] || types["object"] || len(types) == 0 {
		if strings.HasPrefix(trimmed, "[") || strings.HasPrefix(trimmed, "{") {
			if v, err := decodeJSON([]byte(trimmed)); err == nil {
				return v
			}
		}
		if types["array"] && !types["string"] {
			parts := strings.Split(raw, ",")
			out := make([]any, 0, len(parts))
			for _, p := range parts {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
			return out
		}
	}
	return raw
}

// EnvKeys returns the environment variable names that configure Warden, sorted.
func EnvKeys() []string {
	keys := knownKeys()
	out := make([]string, 0, len(keys))
	for k := range keys {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Bounds on traits documents, checked before parsing.
const (
	// MaxTraitsBytes bounds the size of a traits document.
	MaxTraitsBytes = 64 << 10
	// MaxTraitsDepth bounds how deeply a traits document nests objects and
	// arrays ({"a":1} has depth 1).
	MaxTraitsDepth = 32
)

// Errors a ValidationError unwraps to when the traits document itself is
// refused before validation.
var (
	ErrTraitsTooLarge  = errors.New("traits document too large")
	ErrTraitsTooDeep   = errors.New("traits document nested too deeply")
	ErrTraitsMalformed = errors.New("traits document is not a JSON object")
)

// Message ids of Kratos's message catalogue used for traits validation.
const (
	MsgGeneric          = 4000001 // any other violation; the text is the reason
	MsgRequired         = 4000002 // Property {property} is missing.
	MsgMinLength        = 4000003
	MsgPattern          = 4000004
	MsgMaxLength        = 4000017
	MsgMinimum          = 4000018
	MsgExclusiveMinimum = 4000019
	MsgMaximum          = 4000020
	MsgExclusiveMaximum = 4000021
	MsgMultipleOf       = 4000022
	MsgMaxItems         = 4000023
	MsgMinItems         = 4000024
	MsgUniqueItems      = 4000025
	MsgWrongType        = 4000026
	MsgConst            = 4000029
)

// Message is a UI text in Kratos's shape (uiText).
type Message struct {
	ID      int            `json:"id"`
	Text    string         `json:"text"`
	Type    string         `json:"type"`
	Context map[string]any `json:"context,omitempty"`
}

// FieldError holds the messages of one form field.
type FieldError struct {
	// Name is the field's dot path: traits.email, traits.emails.0.
	Name     string    `json:"name"`
	Messages []Message `json:"messages"`
}

// ValidationError lists why a traits document was refused: messages per
// field in schema order, and messages about the document as a whole.
type ValidationError struct {
	Fields []FieldError `json:"fields,omitempty"`
	Global []Message    `json:"global,omitempty"`
	cause  error
}

func (e *ValidationError) Error() string {
	var parts []string
	for _, m := range e.Global {
		parts = append(parts, m.Text)
	}
	for _, f := range e.Fields {
		for _, m := range f.Messages {
			parts = append(parts, f.Name+": "+m.Text)
		}
	}
	return "invalid traits: " + strings.Join(parts, "; ")
}

// Unwrap returns ErrTraitsTooLarge, ErrTraitsTooDeep or ErrTraitsMalformed
// when the document was refused before validation, else nil.
func (e *ValidationError) Unwrap() error { return e.cause }

// Field returns the messages of the named field, or nil.
func (e *ValidationError) Field(name string) *FieldError {
	for i := range e.Fields {
		if e.Fields[i].Name == name {
			return &e.Fields[i]
		}
	}
	return nil
}

func errMsg(id int, text string, ctx map[string]any) Message {
	return Message{ID: id, Text: text, Type: "error", Context: ctx}
}

func generic(reason string) Message {
	return errMsg(MsgGeneric, reason, map[string]any{"reason": reason})
}

func globalError(cause error, m Message) *ValidationError {
	return &ValidationError{Global: []Message{m}, cause: cause}
}

// decodeTraits bounds and parses a traits document.
func decodeTraits(b []byte) (map[string]any, *ValidationError) {
	if len(b) > MaxTraitsBytes {
		return nil, globalError(ErrTraitsTooLarge,
			generic(fmt.Sprintf("The traits are larger than %d bytes.", MaxTraitsBytes)))
	}
	if depthExceeds(b, MaxTraitsDepth) {
		return nil, globalError(ErrTraitsTooDeep,
			generic(fmt.Sprintf("The traits are nested deeper than %d levels.", MaxTraitsDepth)))
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, globalError(ErrTraitsMalformed, generic("The traits are not valid JSON."))
	}
	m, ok := v.(map[string]any)
	if !ok {
		got := jsonType(v)
		return nil, globalError(ErrTraitsMalformed, errMsg(MsgWrongType,
			"expected object, but got "+got,
			map[string]any{"allowed_types": []string{"object"}, "actual_type": got}))
	}
	return m, nil
}

// depthExceeds reports whether b opens more than max nested objects or
// arrays, without parsing it.
func depthExceeds(b []byte, max int) bool {
	depth, inString, escaped := 0, false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > max {
				return true
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return false
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	}
	return "object"
}

// Validate checks a traits document against the schema, and that values
// marked as code identifiers or addresses are email addresses or phone
// numbers as their channel needs. It returns nil or a *ValidationError.
func (s *Schema) Validate(traits json.RawMessage) error {
	doc, verr := decodeTraits(traits)
	if verr != nil {
		return verr
	}
	c := &collector{s: s, byName: map[string]int{}}
	if err := s.compiled.Validate(map[string]any{"traits": doc}); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			c.walk(ve)
		} else {
			c.global(generic(err.Error()))
		}
	}
	s.checkChannels(doc, c)
	return c.result()
}

// checkChannels reports values whose channel (code, verification or
// recovery via email or sms) cannot reach them.
func (s *Schema) checkChannels(doc map[string]any, c *collector) {
	for _, ep := range s.exts {
		var vias []string
		if e := ep.ext; e.codeIdentifier() {
			vias = append(vias, e.Credentials.Code.Via)
		}
		if e := ep.ext.Verification; e != nil {
			vias = append(vias, e.Via)
		}
		if e := ep.ext.Recovery; e != nil {
			vias = append(vias, e.Via)
		}
		if len(vias) == 0 {
			continue
		}
		for _, v := range collect(doc, ep.path, ep.arrays, []string{"traits"}) {
			// Addresses are stored trimmed (see Extract), so the
			// trimmed value is what must be reachable.
			val := strings.TrimSpace(v.value)
			for _, via := range vias {
				switch {
				case via == ViaEmail && !isEmail(val):
					c.add(v.loc, formatMessage(v.value, "email"))
				case via == ViaSMS && !isTel(val):
					c.add(v.loc, formatMessage(v.value, "tel"))
				}
			}
		}
	}
}

func formatMessage(got any, format string) Message {
	return generic(fmt.Sprintf("%s is not valid %q", quoteJSON(got), format))
}

// collector turns validation errors into messages per field.
type collector struct {
	s       *Schema
	fields  []FieldError
	byName  map[string]int
	globals []Message
}

func (c *collector) global(m Message) {
	for _, g := range c.globals {
		if sameMessage(g, m) {
			return
		}
	}
	c.globals = append(c.globals, m)
}

// add attaches m to the field at the instance location loc; the document
// root is global.
func (c *collector) add(loc []string, m Message) {
	if len(loc) == 0 {
		c.global(m)
		return
	}
	name := strings.Join(loc, ".")
	i, ok := c.byName[name]
	if !ok {
		i = len(c.fields)
		c.byName[name] = i
		c.fields = append(c.fields, FieldError{Name: name})
	}
	for _, have := range c.fields[i].Messages {
		if sameMessage(have, m) {
			return
		}
	}
	c.fields[i].Messages = append(c.fields[i].Messages, m)
}

func sameMessage(a, b Message) bool { return a.ID == b.ID && a.Text == b.Text }

// walk translates the leaves of the error tree, as Kratos does: an error
// with causes stands for its causes.
func (c *collector) walk(e *jsonschema.ValidationError) {
	if len(e.Causes) > 0 {
		for _, sub := range e.Causes {
			c.walk(sub)
		}
		return
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, p := range k.Missing {
			c.add(append(slices.Clip(e.InstanceLocation), p), required(p))
		}
	case *kind.Dependency:
		for _, p := range k.Missing {
			c.add(append(slices.Clip(e.InstanceLocation), p), required(p))
		}
	case *kind.DependentRequired:
		for _, p := range k.Missing {
			c.add(append(slices.Clip(e.InstanceLocation), p), required(p))
		}
	default:
		c.add(e.InstanceLocation, translate(e.ErrorKind))
	}
}

func required(p string) Message {
	return errMsg(MsgRequired, fmt.Sprintf("Property %s is missing.", p), map[string]any{"property": p})
}

var printer = message.NewPrinter(language.English)

// translate maps one violation to Kratos's message id, text and context;
// keywords without a message of their own get the generic message with the
// validator's text.
func translate(k jsonschema.ErrorKind) Message {
	switch k := k.(type) {
	case *kind.MinLength:
		return errMsg(MsgMinLength, fmt.Sprintf("length must be >= %d, but got %d", k.Want, k.Got),
			map[string]any{"min_length": k.Want, "actual_length": k.Got})
	case *kind.MaxLength:
		return errMsg(MsgMaxLength, fmt.Sprintf("length must be <= %d, but got %d", k.Want, k.Got),
			map[string]any{"max_length": k.Want, "actual_length": k.Got})
	case *kind.Pattern:
		return errMsg(MsgPattern, fmt.Sprintf("does not match pattern %q", k.Want),
			map[string]any{"pattern": k.Want})
	case *kind.Minimum:
		w, g := ratFloat(k.Want), ratFloat(k.Got)
		return errMsg(MsgMinimum, fmt.Sprintf("must be >= %v but found %v", w, g),
			map[string]any{"minimum": w, "actual": g})
	case *kind.ExclusiveMinimum:
		w, g := ratFloat(k.Want), ratFloat(k.Got)
		return errMsg(MsgExclusiveMinimum, fmt.Sprintf("must be > %v but found %v", w, g),
			map[string]any{"minimum": w, "actual": g})
	case *kind.Maximum:
		w, g := ratFloat(k.Want), ratFloat(k.Got)
		return errMsg(MsgMaximum, fmt.Sprintf("must be <= %v but found %v", w, g),
			map[string]any{"maximum": w, "actual": g})
	case *kind.ExclusiveMaximum:
		w, g := ratFloat(k.Want), ratFloat(k.Got)
		return errMsg(MsgExclusiveMaximum, fmt.Sprintf("must be < %v but found %v", w, g),
			map[string]any{"maximum": w, "actual": g})
	case *kind.MultipleOf:
		w, g := ratFloat(k.Want), ratFloat(k.Got)
		return errMsg(MsgMultipleOf, fmt.Sprintf("%v not multipleOf %v", g, w),
			map[string]any{"base": w, "actual": g})
	case *kind.MaxItems:
		return errMsg(MsgMaxItems, fmt.Sprintf("maximum %d items allowed, but found %d items", k.Want, k.Got),
			map[string]any{"max_items": k.Want, "actual_items": k.Got})
	case *kind.MinItems:
		return errMsg(MsgMinItems, fmt.Sprintf("minimum %d items allowed, but found %d items", k.Want, k.Got),
			map[string]any{"min_items": k.Want, "actual_items": k.Got})
	case *kind.UniqueItems:
		a, b := k.Duplicates[0], k.Duplicates[1]
		return errMsg(MsgUniqueItems, fmt.Sprintf("items at index %d and %d are equal", a, b),
			map[string]any{"index_a": a, "index_b": b})
	case *kind.Type:
		return errMsg(MsgWrongType, fmt.Sprintf("expected %s, but got %s", strings.Join(k.Want, " or "), k.Got),
			map[string]any{"allowed_types": slices.Clone(k.Want), "actual_type": k.Got})
	case *kind.Const:
		want := quoteJSON(k.Want)
		return errMsg(MsgConst, "must be equal to constant "+want, map[string]any{"expected": want})
	case *kind.Format:
		return formatMessage(k.Got, k.Want)
	case *kind.Enum:
		opts := make([]string, len(k.Want))
		for i, w := range k.Want {
			opts[i] = quoteJSON(w)
		}
		return generic("value must be one of " + strings.Join(opts, ", "))
	case *kind.AdditionalProperties:
		props := slices.Sorted(slices.Values(k.Properties))
		return generic(fmt.Sprintf("additional properties %s not allowed", quoteAll(props)))
	}
	return generic(k.LocalizedString(printer))
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// quoteJSON renders a decoded JSON value as JSON text, shortened when long.
func quoteJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return abbreviate(string(b))
}

func ratFloat(r *big.Rat) float64 {
	if r == nil {
		return 0
	}
	f, _ := r.Float64()
	return f
}

// result orders fields by schema property order (then by name) and
// returns nil when nothing was reported.
func (c *collector) result() error {
	if len(c.fields) == 0 && len(c.globals) == 0 {
		return nil
	}
	slices.SortStableFunc(c.fields, func(a, b FieldError) int {
		if d := c.s.position(a.Name) - c.s.position(b.Name); d != 0 {
			return d
		}
		return strings.Compare(a.Name, b.Name)
	})
	for i := range c.fields {
		slices.SortStableFunc(c.fields[i].Messages, func(a, b Message) int { return a.ID - b.ID })
	}
	return &ValidationError{Fields: c.fields, Global: c.globals}
}

// position is where the field, or its closest ancestor the schema
// declares, comes in schema order; unknown names come last.
func (s *Schema) position(name string) int {
	for n := name; n != ""; {
		if p, ok := s.order[n]; ok {
			return p
		}
		i := strings.LastIndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[:i]
	}
	return len(s.order)
}

package opl

import "fmt"

const (
	// MaxDepth caps how deeply `!` and parentheses may nest in one permit.
	MaxDepth = 64
	// maxErrors caps how many errors one Parse reports.
	maxErrors = 100
	// typesModule is the only module an OPL source may import from.
	typesModule = "@ory/keto-namespace-types"
)

// Parse reads an OPL source and returns its model. When the source has
// syntax or semantic errors, Parse returns a nil model and an Errors listing
// every problem it found (at most 100), ordered by position.
func Parse(src string) (*Model, error) {
	p := &parser{
		toks:      lex(src),
		model:     &Model{},
		truncated: map[string]bool{},
		broken:    map[string]map[string]bool{},
	}
	p.parseFile()
	errs := append(p.errs, check(p.model, p.refs, p.suppression())...)
	if len(errs) == 0 {
		return p.model, nil
	}
	errs.sort()
	if len(errs) > maxErrors {
		errs = append(errs[:maxErrors:maxErrors], Error{Pos: errs[maxErrors].Pos, Message: "too many errors"})
	}
	return nil, errs
}

// bailout unwinds the parser to the nearest recovery point after an error.
type bailout struct{}

type parser struct {
	toks []token
	i    int
	errs Errors

	model *Model
	refs  []ref
	ns    *Namespace // class being parsed
	key   string     // relation being parsed, "" between relations
	ctx   string     // parameter name of the permit being parsed
	depth int        // nesting of `!` and parentheses in the permit being parsed

	// What syntax errors hid, so that semantic checks stay quiet about it.
	lostNamespace bool                       // a class whose name could not be read
	truncated     map[string]bool            // namespaces whose body was partly skipped
	broken        map[string]map[string]bool // relations whose definition was skipped
}

func (p *parser) tok() token { return p.toks[p.i] }

func (p *parser) peek(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isPunct(s string) bool { return p.tok().is(tPunct, s) }
func (p *parser) isIdent(s string) bool { return p.tok().is(tIdent, s) }

func (p *parser) acceptPunct(s string) bool {
	if p.isPunct(s) {
		p.next()
		return true
	}
	return false
}

// errorAt records an error. A second error at the same position as the
// previous one is dropped: it is nearly always a consequence of the first.
func (p *parser) errorAt(pos Pos, format string, args ...any) {
	if n := len(p.errs); n > 0 && p.errs[n-1].Pos == pos {
		return
	}
	p.errs = append(p.errs, Error{Pos: pos, Message: fmt.Sprintf(format, args...)})
}

// fail records an error and unwinds to the nearest recovery point.
func (p *parser) fail(pos Pos, format string, args ...any) {
	p.errorAt(pos, format, args...)
	panic(bailout{})
}

// unexpected fails at the current token, saying what was expected instead.
func (p *parser) unexpected(expected string) {
	t := p.tok()
	if t.kind == tIllegal {
		p.fail(t.pos, "%s", t.text)
	}
	p.fail(t.pos, "expected %s, found %s", expected, t.describe())
}

func (p *parser) expectPunct(s, context string) token {
	if !p.isPunct(s) {
		p.unexpected("'" + s + "'" + context)
	}
	return p.next()
}

func (p *parser) expectIdent(what string) token {
	if p.tok().kind != tIdent {
		p.unexpected(what)
	}
	return p.next()
}

func (p *parser) expectKeyword(kw, context string) token {
	if !p.isIdent(kw) {
		p.unexpected(fmt.Sprintf("%q%s", kw, context))
	}
	return p.next()
}

// try runs f and reports whether it finished without a bailout.
func (p *parser) try(f func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, is := r.(bailout); !is {
				panic(r)
			}
			ok = false
		}
	}()
	f()
	return true
}

// atClass reports whether the current token starts a class declaration
// (possibly exported): the anchor every recovery stops at.
func (p *parser) atClass() bool {
	t := p.tok()
	if p.i > 0 && p.toks[p.i-1].is(tPunct, ".") {
		return false
	}
	if t.is(tIdent, "export") {
		return p.peek(1).is(tIdent, "class")
	}
	return t.is(tIdent, "class") && !p.peek(1).is(tPunct, ":")
}

func (p *parser) atImport() bool {
	return p.isIdent("import") && (p.peek(1).is(tPunct, "{") || p.peek(1).is(tIdent, "type"))
}

func (p *parser) parseFile() {
	for p.tok().kind != tEOF {
		switch {
		case p.acceptPunct(";"):
		case p.atImport():
			if !p.try(p.parseImport) {
				p.syncTop()
			}
		case p.atClass():
			p.parseClass()
		default:
			p.try(func() { p.unexpected("a class declaration or an import") })
			p.syncTop()
		}
	}
}

// syncTop skips to the next class declaration or import.
func (p *parser) syncTop() {
	p.next()
	for p.tok().kind != tEOF && !p.atClass() && !p.atImport() {
		p.next()
	}
}

// parseImport reads `import [type] { A, B } from "@ory/keto-namespace-types"`.
func (p *parser) parseImport() {
	p.next()
	if p.isIdent("type") {
		p.next()
	}
	p.expectPunct("{", " after import")
	for !p.acceptPunct("}") {
		t := p.expectIdent("an imported name or '}'")
		switch t.text {
		case "Namespace", "SubjectSet", "Context":
		default:
			p.errorAt(t.pos, "%q has no export %q; expected Namespace, SubjectSet or Context", typesModule, t.text)
		}
		if !p.acceptPunct(",") && !p.isPunct("}") {
			p.unexpected("',' or '}' in import list")
		}
	}
	p.expectKeyword("from", " after import list")
	if p.tok().kind != tString {
		p.unexpected("module name string")
	}
	if m := p.next(); m.text != typesModule {
		p.errorAt(m.pos, "cannot import from %s; only %q is available", quote(m.text), typesModule)
	}
	p.acceptPunct(";")
}

// reserved words, which cannot name a class or a parameter.
var reserved = map[string]bool{
	"break": true, "case": true, "catch": true, "class": true, "const": true, "continue": true,
	"debugger": true, "default": true, "delete": true, "do": true, "else": true, "enum": true,
	"export": true, "extends": true, "false": true, "finally": true, "for": true, "function": true,
	"if": true, "import": true, "in": true, "instanceof": true, "new": true, "null": true,
	"return": true, "super": true, "switch": true, "this": true, "throw": true, "true": true,
	"try": true, "typeof": true, "var": true, "void": true, "while": true, "with": true,
}

// classState collects the relations of the class being parsed.
type classState struct {
	related, permits []*Relation
	seenRelated      bool
	seenPermits      bool
}

func (p *parser) parseClass() {
	if p.isIdent("export") {
		p.next()
	}
	p.next() // class
	name := p.tok()
	if name.kind != tIdent || reserved[name.text] {
		p.lostNamespace = true
		p.try(func() { p.unexpected("class name") })
		p.syncTop()
		return
	}
	p.next()
	ns := &Namespace{Name: name.text, Pos: name.pos}
	p.model.Namespaces = append(p.model.Namespaces, ns)
	p.ns = ns
	var cs classState
	defer func() {
		ns.Relations = append(cs.related, cs.permits...)
		p.ns = nil
	}()

	ok := p.try(func() {
		p.expectKeyword("implements", " after class name")
		p.expectKeyword("Namespace", " after implements")
		p.expectPunct("{", " to open the class body")
	})
	if !ok {
		p.truncated[ns.Name] = true
		p.syncTop()
		return
	}
	for !p.acceptPunct("}") {
		switch {
		case p.acceptPunct(";"):
		case p.tok().kind == tEOF || p.atClass():
			p.truncated[ns.Name] = true
			p.errorAt(p.tok().pos, "expected '}' to close class %q, found %s", ns.Name, p.tok().describe())
			return
		default:
			start := p.i
			if !p.try(func() { p.parseMember(&cs) }) {
				p.truncated[ns.Name] = true
				p.syncMember()
				if p.i == start {
					p.next() // always make progress
				}
			}
		}
	}
}

// syncMember skips the rest of a class member: to the next `related` or
// `permits` starting a line, the closing brace of the class, or the next class.
func (p *parser) syncMember() {
	depth := 0
	for {
		t := p.tok()
		switch {
		case t.kind == tEOF || p.atClass():
			return
		case t.is(tPunct, "{"):
			depth++
		case t.is(tPunct, "}"):
			if depth == 0 {
				return
			}
			depth--
		case depth == 0 && t.nl && (t.is(tIdent, "related") || t.is(tIdent, "permits")):
			return
		}
		p.next()
	}
}

func (p *parser) parseMember(cs *classState) {
	t := p.tok()
	switch {
	case t.is(tIdent, "related"):
		p.next()
		p.expectPunct(":", " after related")
		if cs.seenRelated {
			p.errorAt(t.pos, "class %q has more than one related block", p.ns.Name)
		}
		cs.seenRelated = true
		p.parseBlock(func() { cs.related = append(cs.related, p.parseRelated()) })
	case t.is(tIdent, "permits"):
		p.next()
		p.expectPunct("=", " after permits")
		if cs.seenPermits {
			p.errorAt(t.pos, "class %q has more than one permits block", p.ns.Name)
		}
		cs.seenPermits = true
		p.parseBlock(func() { cs.permits = append(cs.permits, p.parsePermit()) })
	case t.kind == tIllegal:
		p.unexpected("")
	default:
		p.fail(t.pos, "unexpected %s in class body; expected \"related: { ... }\" or \"permits = { ... }\"", t.describe())
	}
	p.acceptPunct(";")
}

// parseBlock reads `{ entry, entry; entry ... }`, recovering at the next entry
// after an error in one.
func (p *parser) parseBlock(entry func()) {
	p.expectPunct("{", "")
	for !p.acceptPunct("}") {
		switch {
		case p.acceptPunct(",") || p.acceptPunct(";"):
		case p.tok().kind == tEOF || p.atClass():
			p.unexpected("'}'")
		default:
			start := p.i
			p.key = ""
			if !p.try(entry) {
				if p.key != "" {
					p.markBroken(p.key)
				}
				p.syncEntry(start)
			}
			p.key = ""
		}
	}
}

// markBroken notes that the definition of relation name in the current class
// was skipped.
func (p *parser) markBroken(name string) {
	if p.broken[p.ns.Name] == nil {
		p.broken[p.ns.Name] = map[string]bool{}
	}
	p.broken[p.ns.Name][name] = true
}

// syncEntry skips the rest of a broken block entry: to the next key (a name
// and ':' after a line break or separator), the closing brace of the block,
// or the next class.
func (p *parser) syncEntry(start int) {
	if p.i == start {
		p.next()
	}
	depth := 0
	for {
		t := p.tok()
		prev := p.toks[p.i-1]
		switch {
		case t.kind == tEOF || p.atClass():
			return
		case t.is(tPunct, "{"):
			depth++
		case t.is(tPunct, "}"):
			if depth == 0 {
				return
			}
			depth--
		case depth == 0 && (t.kind == tIdent || t.kind == tString) && p.peek(1).is(tPunct, ":") &&
			(t.nl || prev.is(tPunct, ",") || prev.is(tPunct, ";") || prev.is(tPunct, "{")):
			return
		case (t.kind == tIdent || t.kind == tString) && p.peek(1).is(tPunct, ":"):
			p.markBroken(t.text) // perhaps an entry the skip swallows
		}
		p.next()
	}
}

// endEntry checks that an entry is followed by a separator, a line break or
// the end of the block.
func (p *parser) endEntry(what string) {
	t := p.tok()
	if t.is(tPunct, ",") || t.is(tPunct, ";") || t.is(tPunct, "}") || t.nl || t.kind == tEOF {
		return
	}
	if t.is(tPunct, "&") || t.is(tPunct, "|") {
		p.fail(t.pos, "'%s' is not an operator of OPL; use '%s%s'", t.text, t.text, t.text)
	}
	p.unexpected("',', ';', a line break or '}' after " + what)
}

// parseKey reads a relation name: an identifier or a string.
func (p *parser) parseKey() token {
	t := p.tok()
	if t.kind != tIdent && t.kind != tString {
		p.unexpected("relation name")
	}
	p.next()
	if t.text == "" {
		p.fail(t.pos, "relation name must not be empty")
	}
	p.key = t.text
	return t
}

// parseRelated reads `name: TYPE[]`.
func (p *parser) parseRelated() *Relation {
	key := p.parseKey()
	p.expectPunct(":", " after relation name")
	var types []SubjectType
	add := func(t SubjectType) {
		for _, u := range types {
			if u == t {
				return
			}
		}
		types = append(types, t)
	}
	switch {
	case p.isIdent("Array") && p.peek(1).is(tPunct, "<"):
		p.next()
		p.next()
		p.parseUnion(add)
		p.expectPunct(">", " to close Array<...>")
	case p.acceptPunct("("):
		p.parseUnion(add)
		p.expectPunct(")", " to close the type union")
		p.expectArray()
	default:
		add(p.parseSubjectType())
		p.expectArray()
	}
	if p.isPunct("[") {
		p.fail(p.tok().pos, "arrays of arrays are not allowed")
	}
	if p.isPunct("|") {
		p.fail(p.tok().pos, "a union of types must be written (A | B)[]")
	}
	p.endEntry(fmt.Sprintf("the type of relation %q", key.text))
	return &Relation{Name: key.text, Types: types, Pos: key.pos}
}

func (p *parser) expectArray() {
	if !p.isPunct("[") {
		p.unexpected("'[]' (a relation holds an array of subject types)")
	}
	p.next()
	p.expectPunct("]", "")
}

// parseUnion reads `[|] T | T ...`.
func (p *parser) parseUnion(add func(SubjectType)) {
	p.acceptPunct("|")
	add(p.parseSubjectType())
	for p.acceptPunct("|") {
		add(p.parseSubjectType())
	}
}

// parseSubjectType reads `Name` or `SubjectSet<Name, "relation">`.
func (p *parser) parseSubjectType() SubjectType {
	t := p.tok()
	if t.kind != tIdent {
		if t.is(tPunct, "(") {
			p.fail(t.pos, "nested parentheses are not allowed in a type")
		}
		p.unexpected("a namespace name or SubjectSet<Namespace, \"relation\">")
	}
	p.next()
	if t.text != "SubjectSet" || !p.isPunct("<") {
		p.refs = append(p.refs, ref{kind: refType, owner: p.ns, ns: t.text, nsPos: t.pos})
		return SubjectType{Namespace: t.text}
	}
	p.next()
	ns := p.expectIdent("a namespace name in SubjectSet<Namespace, \"relation\">")
	p.expectPunct(",", " after the namespace of SubjectSet")
	rel := p.tok()
	if rel.kind != tString {
		p.unexpected("a relation name string in SubjectSet<Namespace, \"relation\">")
	}
	p.next()
	if rel.text == "" {
		p.fail(rel.pos, "relation name must not be empty")
	}
	p.acceptPunct(",")
	p.expectPunct(">", " to close SubjectSet<...>")
	p.refs = append(p.refs, ref{kind: refSubjectSet, owner: p.ns, ns: ns.text, nsPos: ns.pos, rel: rel.text, relPos: rel.pos})
	return SubjectType{Namespace: ns.text, Relation: rel.text}
}

// suppression tells the semantic checks what the syntax errors hid.
func (p *parser) suppression() *suppress {
	if len(p.errs) == 0 {
		return nil
	}
	return &suppress{lostNamespace: p.lostNamespace, truncated: p.truncated, broken: p.broken}
}

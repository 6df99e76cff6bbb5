package opl

import "fmt"

// parsePermit reads `name: (ctx: Context): boolean => EXPR`.
func (p *parser) parsePermit() *Relation {
	key := p.parseKey()
	p.expectPunct(":", " after permit name")
	var param token
	if p.acceptPunct("(") {
		param = p.expectIdent("the parameter name, as in (ctx: Context)")
		if p.acceptPunct(":") {
			if t := p.tok(); !t.is(tIdent, "Context") {
				if t.kind == tIdent {
					p.fail(t.pos, "the parameter of a permit must have type Context, not %q", t.text)
				}
				p.unexpected("Context")
			}
			p.next()
		}
		p.acceptPunct(",")
		if !p.isPunct(")") {
			p.unexpected("')': a permit takes exactly one parameter")
		}
		p.next()
	} else if p.tok().kind == tIdent {
		param = p.next()
	} else {
		p.unexpected("a function like (ctx: Context): boolean => ...")
	}
	if reserved[param.text] {
		p.fail(param.pos, "%q is a reserved word and cannot name a parameter", param.text)
	}
	p.ctx = param.text
	if p.acceptPunct(":") {
		if t := p.tok(); !t.is(tIdent, "boolean") {
			if t.kind == tIdent {
				p.fail(t.pos, "a permit must return boolean, not %q", t.text)
			}
			p.unexpected("boolean")
		}
		p.next()
	}
	p.expectPunct("=>", " after the permit's parameter")
	p.depth = 0
	c := p.parseOr()
	p.endEntry(fmt.Sprintf("the expression of permit %q", key.text))
	rw, ok := c.(*Rewrite)
	if !ok {
		rw = &Rewrite{Op: OpUnion, Children: []Child{c}}
	}
	return &Relation{Name: key.text, Rewrite: rw, Pos: key.pos}
}

func (p *parser) parseOr() Child  { return p.parseChain("||", OpUnion, p.parseAnd) }
func (p *parser) parseAnd() Child { return p.parseChain("&&", OpIntersection, p.parseUnary) }

// parseChain reads operand { op operand } into one n-ary Rewrite.
func (p *parser) parseChain(op string, kind Operator, operand func() Child) Child {
	first := operand()
	if !p.isPunct(op) {
		return first
	}
	rw := &Rewrite{Op: kind, Children: []Child{first}}
	for p.acceptPunct(op) {
		rw.Children = append(rw.Children, operand())
	}
	return rw
}

// enter counts one level of nesting and fails beyond MaxDepth.
func (p *parser) enter() {
	p.depth++
	if p.depth > MaxDepth {
		p.fail(p.tok().pos, "expression nested too deeply (more than %d levels)", MaxDepth)
	}
}

func (p *parser) parseUnary() Child {
	if !p.isPunct("!") {
		return p.parsePrimary()
	}
	p.enter()
	p.next()
	c := InvertResult{Child: p.parseUnary()}
	p.depth--
	return c
}

func (p *parser) parsePrimary() Child {
	t := p.tok()
	switch {
	case t.is(tPunct, "("):
		p.enter()
		p.next()
		c := p.parseOr()
		p.expectPunct(")", " to close the parenthesis")
		p.depth--
		return c
	case t.is(tIdent, "this"):
		return p.parseThis()
	case t.is(tIdent, "true") || t.is(tIdent, "false"):
		p.fail(t.pos, "boolean literals are not supported in a permit")
	case t.is(tPunct, "&") || t.is(tPunct, "|"):
		p.fail(t.pos, "unexpected '%s'; the operators are '&&', '||' and '!'", t.text)
	}
	p.unexpected("this.related.R.includes(ctx.subject), this.permits.P(ctx), '!' or '('")
	return nil
}

// parseAccess reads `.name` or `["name"]` after this.related, this.permits,
// p.related or p.permits.
func (p *parser) parseAccess() token {
	var t token
	switch {
	case p.acceptPunct("."):
		t = p.expectIdent("a relation name")
	case p.acceptPunct("["):
		t = p.tok()
		if t.kind != tString {
			p.unexpected("a relation name string")
		}
		p.next()
		p.expectPunct("]", "")
	default:
		p.unexpected("'.' and a relation name")
	}
	if t.text == "" {
		p.fail(t.pos, "relation name must not be empty")
	}
	return t
}

// parseThis reads an expression starting with `this`.
func (p *parser) parseThis() Child {
	p.next()
	p.expectPunct(".", " after this")
	owner := p.ns
	switch t := p.tok(); {
	case t.is(tIdent, "related"):
		p.next()
		rel := p.parseAccess()
		p.refs = append(p.refs, ref{kind: refRelated, owner: owner, rel: rel.text, relPos: rel.pos})
		p.expectPunct(".", " after this.related"+access(rel.text))
		m := p.tok()
		switch {
		case m.is(tIdent, "includes"):
			p.next()
			p.expectPunct("(", " after includes")
			p.parseSubject()
			p.acceptPunct(",")
			p.expectPunct(")", " after ctx.subject")
			return ComputedSubjectSet{Relation: rel.text}
		case m.is(tIdent, "traverse"):
			p.next()
			p.expectPunct("(", " after traverse")
			target, targetPos, permit := p.parseCallback()
			p.acceptPunct(",")
			p.expectPunct(")", " to close traverse(...)")
			p.refs = append(p.refs, ref{kind: refTraverse, owner: owner, rel: rel.text, relPos: rel.pos,
				target: target, targetPos: targetPos, targetKind: permit})
			return TupleToSubjectSet{Relation: rel.text, ComputedSubjectSetRelation: target}
		case m.kind == tIdent:
			p.fail(m.pos, "unknown method %q; expected includes or traverse", m.text)
		}
		p.unexpected("includes or traverse")
	case t.is(tIdent, "permits"):
		p.next()
		rel := p.parseAccess()
		p.refs = append(p.refs, ref{kind: refPermit, owner: owner, rel: rel.text, relPos: rel.pos})
		p.expectPunct("(", " to call this.permits"+access(rel.text))
		p.parseCtx()
		p.acceptPunct(",")
		p.expectPunct(")", " after the context argument")
		return ComputedSubjectSet{Relation: rel.text}
	case t.is(tIdent, "equals"):
		p.fail(t.pos, "this.equals is not supported; use this.related.R.includes(ctx.subject)")
	case t.kind == tIdent:
		p.fail(t.pos, "unknown property this.%s; expected this.related or this.permits", t.text)
	}
	p.unexpected("related or permits")
	return nil
}

// parseCtx reads the permit's parameter as an argument.
func (p *parser) parseCtx() {
	t := p.expectIdent(fmt.Sprintf("%q (the permit's parameter)", p.ctx))
	if t.text != p.ctx {
		p.errorAt(t.pos, "unknown identifier %q; the permit's parameter is %q", t.text, p.ctx)
	}
}

// parseSubject reads `ctx.subject`.
func (p *parser) parseSubject() {
	p.parseCtx()
	p.expectPunct(".", fmt.Sprintf(": the argument of includes is %s.subject", p.ctx))
	if t := p.tok(); !t.is(tIdent, "subject") {
		if t.kind == tIdent {
			p.fail(t.pos, "unknown property %q of the context; expected subject", t.text)
		}
		p.unexpected("subject")
	}
	p.next()
}

// parseCallback reads the argument of traverse: `(p) => p.permits.X(ctx)` or
// `p => p.related.X.includes(ctx.subject)`, and returns X, its position and
// whether it names a permit.
func (p *parser) parseCallback() (string, Pos, refTargetKind) {
	var param token
	switch {
	case p.acceptPunct("("):
		param = p.expectIdent("the callback's parameter name")
		if p.acceptPunct(":") {
			p.expectIdent("a type")
		}
		p.acceptPunct(",")
		p.expectPunct(")", " after the callback's parameter")
	case p.tok().kind == tIdent:
		param = p.next()
	default:
		p.unexpected("a callback like (p) => p.permits.P(ctx)")
	}
	if reserved[param.text] {
		p.fail(param.pos, "%q is a reserved word and cannot name a parameter", param.text)
	}
	if param.text == p.ctx {
		p.fail(param.pos, "the callback's parameter %q hides the permit's parameter; choose another name", param.text)
	}
	p.expectPunct("=>", " after the callback's parameter")
	if p.isPunct("{") {
		p.fail(p.tok().pos, "the callback must be an expression, not a block")
	}
	parens := 0
	for p.isPunct("(") {
		p.enter()
		p.next()
		parens++
	}
	v := p.tok()
	switch {
	case v.kind != tIdent:
		p.unexpected(fmt.Sprintf("%s.permits.P(%s) or %s.related.R.includes(%s.subject)", param.text, p.ctx, param.text, p.ctx))
	case v.text == "this":
		p.fail(v.pos, "the callback must use its parameter %q, not this", param.text)
	case v.text != param.text:
		p.errorAt(v.pos, "unknown identifier %q; the callback's parameter is %q", v.text, param.text)
	}
	p.next()
	p.expectPunct(".", " after "+v.text)
	var target token
	var kind refTargetKind
	switch t := p.tok(); {
	case t.is(tIdent, "permits"):
		p.next()
		target = p.parseAccess()
		kind = targetPermit
		p.expectPunct("(", " to call "+v.text+".permits"+access(target.text))
		p.parseCtx()
		p.acceptPunct(",")
		p.expectPunct(")", " after the context argument")
	case t.is(tIdent, "related"):
		p.next()
		target = p.parseAccess()
		kind = targetRelated
		p.expectPunct(".", " after "+v.text+".related"+access(target.text))
		if m := p.tok(); m.is(tIdent, "traverse") {
			p.fail(m.pos, "traverse cannot be nested inside traverse")
		}
		p.expectKeyword("includes", "")
		p.expectPunct("(", " after includes")
		p.parseSubject()
		p.acceptPunct(",")
		p.expectPunct(")", " after ctx.subject")
	default:
		p.unexpected("permits or related")
	}
	for ; parens > 0; parens-- {
		p.expectPunct(")", " to close the parenthesis")
		p.depth--
	}
	if t := p.tok(); t.is(tPunct, "||") || t.is(tPunct, "&&") {
		p.fail(t.pos, "the traverse callback must be a single %s.permits.P(%s) or %s.related.R.includes(%s.subject)",
			param.text, p.ctx, param.text, p.ctx)
	}
	return target.text, target.pos, kind
}

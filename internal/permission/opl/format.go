package opl

import "strings"

// String prints m as OPL source; see Format.
func (m *Model) String() string { return Format(m) }

// Format prints a model as OPL source that Parse reads back into an equal
// model: for every m returned by Parse, Parse(Format(m)) is deep-equal to m
// (positions aside, which are those of the printed text). The output is in a
// canonical layout: an import line, then one class per namespace with its
// `related` block before its `permits` block, two-space indentation, the
// parameter named ctx and every traverse callback parameter named p.
//
// Names that are not identifiers are printed as string keys and accessed
// with ["..."]. Namespace names are printed as they are, so a built model
// whose namespace names are not identifiers does not print valid OPL.
func Format(m *Model) string {
	var b strings.Builder
	b.WriteString("import { Namespace, SubjectSet, Context } from " + quote(typesModule) + "\n")
	if m == nil {
		return b.String()
	}
	idx := newIndex(m)
	for _, n := range m.Namespaces {
		if n == nil {
			continue
		}
		f := formatter{idx: idx, ns: n}
		b.WriteString("\nclass " + n.Name + " implements Namespace {")
		var related, permits []*Relation
		for _, r := range n.Relations {
			switch {
			case r == nil:
			case r.Rewrite != nil:
				permits = append(permits, r)
			default:
				related = append(related, r)
			}
		}
		if len(related)+len(permits) == 0 {
			b.WriteString("}\n")
			continue
		}
		b.WriteString("\n")
		if len(related) > 0 {
			b.WriteString("  related: {\n")
			for _, r := range related {
				b.WriteString("    " + key(r.Name) + ": " + formatTypes(r.Types) + "\n")
			}
			b.WriteString("  }\n")
		}
		if len(permits) > 0 {
			if len(related) > 0 {
				b.WriteString("\n")
			}
			b.WriteString("  permits = {\n")
			for _, r := range permits {
				b.WriteString("    " + key(r.Name) + ": (ctx: Context): boolean =>")
				if r.Rewrite.Op == OpUnion && len(r.Rewrite.Children) == 1 {
					b.WriteString(" " + f.operand(r.Rewrite.Children[0]) + ",\n")
					continue
				}
				sep := " ||"
				if r.Rewrite.Op == OpIntersection {
					sep = " &&"
				}
				for i, c := range r.Rewrite.Children {
					if i > 0 {
						b.WriteString(sep)
					}
					b.WriteString("\n      " + f.operand(c))
				}
				b.WriteString(",\n")
			}
			b.WriteString("  }\n")
		}
		b.WriteString("}\n")
	}
	return b.String()
}

// key prints a relation name as an object key.
func key(name string) string {
	if isIdent(name) {
		return name
	}
	return quote(name)
}

// access prints a member access to a relation name: .name or ["name"].
func access(name string) string {
	if isIdent(name) {
		return "." + name
	}
	return "[" + quote(name) + "]"
}

func formatTypes(types []SubjectType) string {
	parts := make([]string, len(types))
	for i, t := range types {
		if t.Relation == "" {
			parts[i] = t.Namespace
		} else {
			parts[i] = "SubjectSet<" + t.Namespace + ", " + quote(t.Relation) + ">"
		}
	}
	if len(parts) == 1 {
		return parts[0] + "[]"
	}
	return "(" + strings.Join(parts, " | ") + ")[]"
}

// formatter prints the rewrites of one namespace.
type formatter struct {
	idx index
	ns  *Namespace
}

// index looks names up in a model in constant time; the first of equal names
// wins, as with Model.Namespace and Namespace.Relation.
type index struct {
	namespaces map[string]*Namespace
	relations  map[*Namespace]map[string]*Relation
}

func newIndex(m *Model) index {
	idx := index{namespaces: map[string]*Namespace{}, relations: map[*Namespace]map[string]*Relation{}}
	for _, n := range m.Namespaces {
		if n == nil {
			continue
		}
		if _, dup := idx.namespaces[n.Name]; !dup {
			idx.namespaces[n.Name] = n
		}
		rs := map[string]*Relation{}
		for _, r := range n.Relations {
			if r == nil {
				continue
			}
			if _, dup := rs[r.Name]; !dup {
				rs[r.Name] = r
			}
		}
		idx.relations[n] = rs
	}
	return idx
}

// relation returns the relation called name of ns, nil if there is none.
func (idx index) relation(ns *Namespace, name string) *Relation { return idx.relations[ns][name] }

// operand prints one child; a nested Rewrite is parenthesised, so that it
// parses back into its own node. A relation is called through this.permits or
// this.related (p.permits or p.related in a traverse) depending on what it is
// in the namespace it belongs to.
func (f formatter) operand(c Child) string {
	switch c := c.(type) {
	case ComputedSubjectSet:
		if r := f.idx.relation(f.ns, c.Relation); r != nil && r.IsPermit() {
			return "this.permits" + access(c.Relation) + "(ctx)"
		}
		return "this.related" + access(c.Relation) + ".includes(ctx.subject)"
	case TupleToSubjectSet:
		call := "p.permits" + access(c.ComputedSubjectSetRelation) + "(ctx)"
		if f.targetIsRelated(c) {
			call = "p.related" + access(c.ComputedSubjectSetRelation) + ".includes(ctx.subject)"
		}
		return "this.related" + access(c.Relation) + ".traverse((p) => " + call + ")"
	case InvertResult:
		return "!" + f.operand(c.Child)
	case *Rewrite:
		if c == nil {
			return "()"
		}
		sep := " || "
		if c.Op == OpIntersection {
			sep = " && "
		}
		parts := make([]string, len(c.Children))
		for i, ch := range c.Children {
			parts[i] = f.operand(ch)
		}
		return "(" + strings.Join(parts, sep) + ")"
	}
	return "()"
}

// targetIsRelated reports whether the relation a traverse checks is a
// `related` relation in the first namespace the traversed relation points to
// that defines it.
func (f formatter) targetIsRelated(c TupleToSubjectSet) bool {
	r := f.idx.relation(f.ns, c.Relation)
	if r == nil {
		return false
	}
	for _, t := range r.Types {
		if tr := f.idx.relation(f.idx.namespaces[t.Namespace], c.ComputedSubjectSetRelation); tr != nil {
			return !tr.IsPermit()
		}
	}
	return false
}

package opl

import (
	"reflect"
	"strings"
	"testing"
)

// noPos returns a copy of m with every position zeroed.
func noPos(m *Model) *Model {
	if m == nil {
		return nil
	}
	out := &Model{}
	for _, n := range m.Namespaces {
		nn := &Namespace{Name: n.Name}
		for _, r := range n.Relations {
			nr := *r
			nr.Pos = Pos{}
			nn.Relations = append(nn.Relations, &nr)
		}
		out.Namespaces = append(out.Namespaces, nn)
	}
	return out
}

// ns builds a namespace for expected models.
func ns(name string, rels ...*Relation) *Namespace { return &Namespace{Name: name, Relations: rels} }

func rel(name string, types ...SubjectType) *Relation { return &Relation{Name: name, Types: types} }

func permit(name string, op Operator, children ...Child) *Relation {
	return &Relation{Name: name, Rewrite: &Rewrite{Op: op, Children: children}}
}

func obj(n string) SubjectType        { return SubjectType{Namespace: n} }
func set(n, r string) SubjectType     { return SubjectType{Namespace: n, Relation: r} }
func css(r string) ComputedSubjectSet { return ComputedSubjectSet{Relation: r} }
func ttu(r, x string) TupleToSubjectSet {
	return TupleToSubjectSet{Relation: r, ComputedSubjectSetRelation: x}
}
func not(c Child) InvertResult { return InvertResult{Child: c} }
func or(cs ...Child) *Rewrite  { return &Rewrite{Op: OpUnion, Children: cs} }
func and(cs ...Child) *Rewrite { return &Rewrite{Op: OpIntersection, Children: cs} }

// header declares the namespaces the expression tests refer to.
const header = `
class User implements Namespace {}
class Group implements Namespace { related: { members: (User | SubjectSet<Group, "members">)[] } }
class Folder implements Namespace {
  related: { viewers: User[] }
  permits = { view: (ctx: Context): boolean => this.related.viewers.includes(ctx.subject) }
}
`

// docModel is the model of the T class used by the expression tests.
func docModel(permits ...*Relation) []*Namespace {
	return []*Namespace{
		ns("User"),
		ns("Group", rel("members", obj("User"), set("Group", "members"))),
		ns("Folder", rel("viewers", obj("User")), permit("view", OpUnion, css("viewers"))),
		ns("T", append([]*Relation{
			rel("a", obj("User")), rel("b", obj("User")), rel("c", obj("User")), rel("d", obj("User")),
			rel("parents", obj("Folder")), rel("groups", obj("Group")),
		}, permits...)...),
	}
}

// expr wraps one permit expression into a source with header and class T.
func expr(e string) string {
	return header + `class T implements Namespace {
  related: { a: User[]; b: User[]; c: User[]; d: User[]; parents: Folder[]; groups: Group[] }
  permits = {
    x: (ctx: Context): boolean => ` + e + `
  }
}`
}

func TestParseConstructs(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []*Namespace
	}{
		{"empty source", "", nil},
		{"only comments", "// nothing\n/* here */ /** either */", nil},
		{"empty class", "class User implements Namespace {}", []*Namespace{ns("User")}},
		{"no space before brace, two per line", "class User implements Namespace{} class Group implements Namespace{}",
			[]*Namespace{ns("User"), ns("Group")}},
		{"imports, export, semicolons", `
import { Namespace, SubjectSet, Context } from "@ory/keto-namespace-types";
import type { Namespace } from '@ory/keto-namespace-types'
import { Context, } from "@ory/keto-namespace-types"
;
export class User implements Namespace {};
class Group implements Namespace {
  related: { members: User[]; };
}`, []*Namespace{ns("User"), ns("Group", rel("members", obj("User")))}},
		{"related forms and separators", `
class User implements Namespace {}
class Group implements Namespace {
  related: {
    members: (User | SubjectSet<Group, "members">)[]
    /* block */ a: User[], b: SubjectSet<Group, "members">[]; c: Array<User>
    d: Array<User | Group>,
    e: Array<SubjectSet<Group, 'members',>>
    f: (| User | Group | User)[] // duplicates collapse
    "reports.view": Group[],
  }
}`, []*Namespace{ns("User"), ns("Group",
			rel("members", obj("User"), set("Group", "members")),
			rel("a", obj("User")), rel("b", set("Group", "members")), rel("c", obj("User")),
			rel("d", obj("User"), obj("Group")), rel("e", set("Group", "members")),
			rel("f", obj("User"), obj("Group")), rel("reports.view", obj("Group")))}},
		{"forward references", `
class Folder implements Namespace { related: { files: File[] } }
class File implements Namespace { related: { parents: Folder[] } }`,
			[]*Namespace{ns("Folder", rel("files", obj("File"))), ns("File", rel("parents", obj("Folder")))}},
		{"includes", expr("this.related.a.includes(ctx.subject)"), docModel(permit("x", OpUnion, css("a")))},
		{"permits call, other parameter name", header + `class T implements Namespace {
  related: { a: User[]; b: User[]; c: User[]; d: User[]; parents: Folder[]; groups: Group[] }
  permits = {
    x: (c) => this.permits.y(c),
    y: c => this.related.a.includes(c.subject),
  }
}`, docModel(permit("x", OpUnion, css("y")), permit("y", OpUnion, css("a")))},
		{"traverse permit", expr("this.related.parents.traverse((p) => p.permits.view(ctx))"),
			docModel(permit("x", OpUnion, ttu("parents", "view")))},
		{"traverse related, bare parameter", expr("this.related.groups.traverse(g => g.related.members.includes(ctx.subject))"),
			docModel(permit("x", OpUnion, ttu("groups", "members")))},
		{"traverse annotated parameter, parenthesised body", expr("this.related.parents.traverse((f: Folder,) => (f.permits.view(ctx,)),)"),
			docModel(permit("x", OpUnion, ttu("parents", "view")))},
		{"union chain flattens", expr("this.related.a.includes(ctx.subject) || this.related.b.includes(ctx.subject) ||\n this.related.c.includes(ctx.subject)"),
			docModel(permit("x", OpUnion, css("a"), css("b"), css("c")))},
		{"intersection chain flattens", expr("this.related.a.includes(ctx.subject) && this.related.b.includes(ctx.subject) && this.related.c.includes(ctx.subject)"),
			docModel(permit("x", OpIntersection, css("a"), css("b"), css("c")))},
		{"&& binds tighter than ||", expr("this.related.a.includes(ctx.subject) || this.related.b.includes(ctx.subject) && this.related.c.includes(ctx.subject)"),
			docModel(permit("x", OpUnion, css("a"), and(css("b"), css("c"))))},
		{"! binds tighter than &&", expr("!this.related.a.includes(ctx.subject) && this.related.b.includes(ctx.subject)"),
			docModel(permit("x", OpIntersection, not(css("a")), css("b")))},
		{"parentheses group", expr("(this.related.a.includes(ctx.subject) || this.related.b.includes(ctx.subject)) && !(this.related.c.includes(ctx.subject) || this.related.d.includes(ctx.subject))"),
			docModel(permit("x", OpIntersection, or(css("a"), css("b")), not(or(css("c"), css("d")))))},
		{"same operator in parentheses stays nested", expr("this.related.a.includes(ctx.subject) || (this.related.b.includes(ctx.subject) || this.related.c.includes(ctx.subject))"),
			docModel(permit("x", OpUnion, css("a"), or(css("b"), css("c"))))},
		{"outer parentheses and single term", expr("((this.related.a.includes(ctx.subject)))"), docModel(permit("x", OpUnion, css("a")))},
		{"outer parentheses around a chain", expr("(this.related.a.includes(ctx.subject) && this.related.b.includes(ctx.subject))"),
			docModel(permit("x", OpIntersection, css("a"), css("b")))},
		{"double negation", expr("!!this.related.a.includes(ctx.subject)"), docModel(permit("x", OpUnion, not(not(css("a")))))},
		{"bracket access", expr(`this.related["a"].includes(ctx.subject) || this.related['parents'].traverse(p => p.permits["view"](ctx))`),
			docModel(permit("x", OpUnion, css("a"), ttu("parents", "view")))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(tt.src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := &Model{Namespaces: tt.want}
			if got := noPos(m); !reflect.DeepEqual(got, want) {
				t.Errorf("model\n got: %s\nwant: %s", Format(got), Format(want))
			}
		})
	}
}

func TestParsePermitForms(t *testing.T) {
	// Every spelling of the parameter list and annotations gives the same model.
	forms := []string{
		"(ctx: Context): boolean =>",
		"(ctx: Context) =>",
		"(ctx): boolean =>",
		"(ctx) =>",
		"ctx =>",
		"(ctx,) =>",
		"(ctx: Context,): boolean =>",
	}
	want := &Model{Namespaces: []*Namespace{ns("User"), ns("D", rel("owners", obj("User")), permit("edit", OpUnion, css("owners")))}}
	for _, f := range forms {
		src := "class User implements Namespace {}\nclass D implements Namespace {\n" +
			"  permits = { edit: " + f + " this.related.owners.includes(ctx.subject) }\n" +
			"  related: { owners: User[] }\n}\n"
		m, err := Parse(src)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if got := noPos(m); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %s", f, Format(got))
		}
	}
}

func TestParsePositions(t *testing.T) {
	src := "class User implements Namespace {}\n" +
		"class Doc implements Namespace {\n" +
		"\trelated: { owners: User[] }\n" +
		"\tpermits = {\n" +
		"\t\t\"é.view\": (ctx) => this.related.owners.includes(ctx.subject),\n" +
		"\t}\n}\n"
	m, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	doc := m.Namespace("Doc")
	checks := []struct {
		got, want Pos
	}{
		{m.Namespace("User").Pos, Pos{1, 7}},
		{doc.Pos, Pos{2, 7}},
		{doc.Relation("owners").Pos, Pos{3, 13}},
		{doc.Relation("é.view").Pos, Pos{5, 3}},
	}
	for i, c := range checks {
		if c.got != c.want {
			t.Errorf("%d: position %v, want %v", i, c.got, c.want)
		}
	}
	if m.Namespace("Nope") != nil || doc.Relation("nope") != nil {
		t.Error("lookup of unknown names must return nil")
	}
	if (*Model)(nil).Namespace("x") != nil || (*Namespace)(nil).Relation("x") != nil {
		t.Error("lookup on nil must return nil")
	}
}

func TestParseStringEscapes(t *testing.T) {
	src := `class User implements Namespace {}
class G implements Namespace { related: {
  "a\"b": User[]
  'c\'d\\e': User[]
  "\u0041\u{1F600}\uD83D\uDE00\x41\t": User[]
  "x\
y": User[]
} }`
	m, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range m.Namespace("G").Relations {
		names = append(names, r.Name)
	}
	want := []string{`a"b`, `c'd\e`, "A\U0001F600\U0001F600A\t", "xy"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
}

func TestErrorsFormat(t *testing.T) {
	_, err := Parse("class A implements Namespace { related: { x: B[] } }\nclass A implements Namespace {}")
	es, ok := err.(Errors)
	if !ok {
		t.Fatalf("error %T, want Errors", err)
	}
	want := "1:46: unknown namespace \"B\"\n2:7: duplicate namespace \"A\" (first declared at 1:7)"
	if es.Error() != want {
		t.Errorf("Error() =\n%s\nwant\n%s", es.Error(), want)
	}
	if es[0].Error() != `1:46: unknown namespace "B"` {
		t.Errorf("Error.Error() = %s", es[0].Error())
	}
	if !strings.Contains(Errors(nil).Error(), "no errors") {
		t.Error("empty Errors must say so")
	}
}

package opl

import (
	"reflect"
	"strings"
	"testing"
)

// roundTripSources are sources that parse, covering every construct.
func roundTripSources() map[string]string {
	srcs := map[string]string{
		"empty":  "",
		"header": header,
		"quoted": user + `class Org implements Namespace {
  related: { "reports.view": User[]; 'we"ird\n': SubjectSet<Org, "reports.view">[]; ok: Org[] }
  permits = {
    "can.view": (ctx) => this.related["reports.view"].includes(ctx.subject) || this.permits["x y"](ctx),
    "x y": (ctx) => !this.related["we\"ird\n"].includes(ctx.subject) && this.related.ok.traverse(o => o.permits["can.view"](ctx)),
  }
}`,
		"nesting": expr("!(this.related.a.includes(ctx.subject) || (this.related.b.includes(ctx.subject) && !!this.related.c.includes(ctx.subject))) && " +
			"(this.related.d.includes(ctx.subject) && this.related.parents.traverse(p => p.related.viewers.includes(ctx.subject))) && " +
			"this.related.groups.traverse(g => g.related.members.includes(ctx.subject))"),
		"single rewrite child": expr("(this.related.a.includes(ctx.subject) || this.related.b.includes(ctx.subject)) || this.related.c.includes(ctx.subject)"),
		"permits first":        user + "class D implements Namespace {\n permits = { v: (ctx) => this.related.a.includes(ctx.subject) }\n related: { a: User[] }\n}",
	}
	for _, tt := range []string{
		"this.related.a.includes(ctx.subject)",
		"this.related.a.includes(ctx.subject) && this.related.b.includes(ctx.subject) || !this.related.c.includes(ctx.subject)",
	} {
		srcs["expr "+tt] = expr(tt)
	}
	return srcs
}

// assertRoundTrip checks that Format(m) parses back into m and that Format is
// stable.
func assertRoundTrip(t testing.TB, name string, m *Model) {
	t.Helper()
	out := Format(m)
	m2, err := Parse(out)
	if err != nil {
		t.Fatalf("%s: formatted model does not parse: %v\n%s", name, err, out)
	}
	if !reflect.DeepEqual(noPos(m2), noPos(m)) {
		t.Fatalf("%s: round trip changed the model\nbefore: %#v\n after: %s", name, noPos(m), out)
	}
	if out2 := Format(m2); out2 != out {
		t.Fatalf("%s: Format is not stable\n%s\n---\n%s", name, out, out2)
	}
}

func TestFormatRoundTrip(t *testing.T) {
	srcs := roundTripSources()
	for k, v := range exampleSources(t) {
		srcs["example "+k] = v
	}
	for k, v := range scenarioSources(t) {
		srcs["scenario "+k] = v
	}
	for _, name := range sortedKeys(srcs) {
		m, err := Parse(srcs[name])
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if errs := m.Check(); len(errs) > 0 {
			t.Errorf("%s: Check of a parsed model: %v", name, errs)
		}
		assertRoundTrip(t, name, m)
	}
}

func TestFormatOutput(t *testing.T) {
	m, err := Parse(user + `class Group implements Namespace { related: { members: (User | SubjectSet<Group, "members">)[] } }
class Doc implements Namespace {
  permits = {
    edit: c => this.related.owners.includes(c.subject),
    view: c => this.permits.edit(c) || this.related.parents.traverse(x => x.permits.view(c)) || !this.related.parents.traverse(x => x.related.owners.includes(c.subject)),
    both: c => this.related.owners.includes(c.subject) && (this.permits.edit(c) || this.permits.view(c)),
  }
  related: { owners: User[]; parents: Doc[]; "a-b": Array<Group> }
}`)
	if err != nil {
		t.Fatal(err)
	}
	want := `import { Namespace, SubjectSet, Context } from "@ory/keto-namespace-types"

class User implements Namespace {}

class Group implements Namespace {
  related: {
    members: (User | SubjectSet<Group, "members">)[]
  }
}

class Doc implements Namespace {
  related: {
    owners: User[]
    parents: Doc[]
    "a-b": Group[]
  }

  permits = {
    edit: (ctx: Context): boolean => this.related.owners.includes(ctx.subject),
    view: (ctx: Context): boolean =>
      this.permits.edit(ctx) ||
      this.related.parents.traverse((p) => p.permits.view(ctx)) ||
      !this.related.parents.traverse((p) => p.related.owners.includes(ctx.subject)),
    both: (ctx: Context): boolean =>
      this.related.owners.includes(ctx.subject) &&
      (this.permits.edit(ctx) || this.permits.view(ctx)),
  }
}
`
	if got := Format(m); got != want {
		t.Errorf("Format\n%s\nwant\n%s", got, want)
	}
	if m.String() != want {
		t.Error("String differs from Format")
	}
	if !strings.HasPrefix(Format(nil), "import") {
		t.Error("Format(nil) must print the import line")
	}
}

func TestQuoteLexesBack(t *testing.T) {
	for _, s := range []string{"", "a", `"`, `\`, "\n\r\t\x00\x7f\u2028", "é😀", "\ufffd"} {
		toks := lex(quote(s))
		if len(toks) != 2 || toks[0].kind != tString || toks[0].text != s {
			t.Errorf("quote(%q) = %s lexes as %+v", s, quote(s), toks)
		}
	}
}

// foreign is a Child the parser never produces.
type foreign struct{}

func (foreign) child() {}

func TestModelCheck(t *testing.T) {
	p := func(l int) Pos { return Pos{Line: l, Column: 1} }
	m := &Model{Namespaces: []*Namespace{
		{Name: "User", Pos: p(1)},
		{Name: "Doc", Pos: p(2), Relations: []*Relation{
			{Name: "owners", Types: []SubjectType{obj("User"), obj("Nope"), set("User", "x")}, Pos: p(3)},
			{Name: "empty", Pos: p(4)},
			{Name: "both", Types: []SubjectType{obj("User")}, Rewrite: or(css("owners")), Pos: p(5)},
			{Name: "view", Rewrite: or(css("owners"), css("missing"), ttu("owners", "view"), ttu("view", "x")), Pos: p(6)},
			{Name: "bad", Rewrite: &Rewrite{Op: Operator(7), Children: []Child{foreign{}, &Rewrite{}, not(nil)}}, Pos: p(7)},
			{Name: "owners", Types: []SubjectType{obj("User")}, Pos: p(8)},
		}},
		{Name: "User", Pos: p(9)},
	}}
	var got []string
	for _, e := range m.Check() {
		got = append(got, e.Error())
	}
	want := []string{
		`3:1: unknown namespace "Nope"`,
		`3:1: namespace "User" has no relation "x"`,
		`4:1: relation "empty" of namespace "Doc": has neither subject types nor a rewrite`,
		`5:1: relation "both" of namespace "Doc": has both subject types and a rewrite`,
		`6:1: namespace "Doc" has no relation "missing"`,
		`6:1: namespace "User" has no relation "view"`,
		`6:1: "view" is a permit of namespace "Doc", not a related relation; use this.permits.view(ctx)`,
		`7:1: relation "bad" of namespace "Doc": unknown operator Operator(7)`,
		`7:1: relation "bad" of namespace "Doc": unsupported rewrite child opl.foreign`,
		`7:1: relation "bad" of namespace "Doc": rewrite without children`,
		`7:1: relation "bad" of namespace "Doc": unsupported rewrite child <nil>`,
		`8:1: duplicate relation "owners" in namespace "Doc" (first declared at 3:1)`,
		`9:1: duplicate namespace "User" (first declared at 1:1)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Check\n got: %q\nwant: %q", got, want)
	}
	if (*Model)(nil).Check() != nil {
		t.Error("Check of nil must be empty")
	}
}

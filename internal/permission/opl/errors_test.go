package opl

import (
	"errors"
	"strings"
	"testing"
)

const user = "class User implements Namespace {}\n"

// errorLines parses src and returns its errors as "line:col: message".
func errorLines(t *testing.T, src string) []string {
	t.Helper()
	m, err := Parse(src)
	if err == nil {
		return nil
	}
	if m != nil {
		t.Errorf("Parse returned a model with errors")
	}
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %T, want Errors", err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Error())
	}
	return out
}

func TestSemanticErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"duplicate namespace", user + user,
			[]string{`2:7: duplicate namespace "User" (first declared at 1:7)`}},
		{"duplicate relation", user + "class D implements Namespace {\n  related: { a: User[]\n    a: User[] }\n}",
			[]string{`4:5: duplicate relation "a" in namespace "D" (first declared at 3:14)`}},
		{"duplicate relation and permit", user + "class D implements Namespace {\n  related: { a: User[] }\n  permits = { a: (ctx) => this.permits.a(ctx) }\n}",
			[]string{
				`4:15: duplicate relation "a" in namespace "D" (first declared at 3:14)`,
				`4:40: "a" is a related relation of namespace "D", not a permit; use this.related.a.includes(ctx.subject)`,
			}},
		{"unknown type", "class D implements Namespace { related: { a: Usr[] } }",
			[]string{`1:46: unknown namespace "Usr"`}},
		{"unknown type in union and Array", user + "class D implements Namespace { related: { a: (User | Grp)[], b: Array<Usr> } }",
			[]string{`2:54: unknown namespace "Grp"`, `2:71: unknown namespace "Usr"`}},
		{"subject set of unknown namespace", user + `class D implements Namespace { related: { a: SubjectSet<Grp, "m">[] } }`,
			[]string{`2:57: unknown namespace "Grp"`}},
		{"subject set of unknown relation", user + `class D implements Namespace { related: { a: SubjectSet<User, "m">[] } }`,
			[]string{`2:63: namespace "User" has no relation "m"`}},
		{"subject set naming a permit is fine", user + `class D implements Namespace {
  related: { a: User[], b: SubjectSet<D, "p">[] }
  permits = { p: (ctx) => this.related.a.includes(ctx.subject) }
}`, nil},
		{"this.related of unknown relation", user + "class D implements Namespace {\n related: { a: User[] }\n permits = { v: (ctx) => this.related.b.includes(ctx.subject) }\n}",
			[]string{`4:39: namespace "D" has no relation "b"`}},
		{"this.related of a permit, this.permits of a relation", user + "class D implements Namespace {\n related: { a: User[] }\n permits = { v: (ctx) => this.related.w.includes(ctx.subject), w: (ctx) => this.permits.a(ctx) }\n}",
			[]string{
				`4:39: "w" is a permit of namespace "D", not a related relation; use this.permits.w(ctx)`,
				`4:89: "a" is a related relation of namespace "D", not a permit; use this.related.a.includes(ctx.subject)`,
			}},
		{"this.permits of unknown permit", user + "class D implements Namespace {\n permits = { v: (ctx) => this.permits.nope(ctx) }\n}",
			[]string{`3:39: namespace "D" has no relation "nope"`}},
		{"traverse of unknown relation", user + "class D implements Namespace {\n permits = { v: (ctx) => this.related.up.traverse(p => p.permits.v(ctx)) }\n}",
			[]string{`3:39: namespace "D" has no relation "up"`}},
		{"traverse of a permit", user + "class D implements Namespace {\n related: { a: User[] }\n permits = { v: (ctx) => this.related.v.traverse(p => p.permits.v(ctx)) }\n}",
			[]string{`4:39: "v" is a permit of namespace "D", not a related relation; use this.permits.v(ctx)`}},
		{"traverse target missing in one of the types", user + `class Folder implements Namespace { related: { x: User[] } }
class D implements Namespace {
 related: { parents: (Folder | D | SubjectSet<Folder, "x">)[] }
 permits = { view: (ctx) => this.related.parents.traverse(p => p.permits.view(ctx)) }
}`, []string{`5:74: namespace "Folder" has no relation "view"`}},
		{"traverse target missing in every type", user + `class Folder implements Namespace {}
class D implements Namespace {
 related: { parents: (Folder | User)[] }
 permits = { view: (ctx) => this.related.parents.traverse(p => p.related.owner.includes(ctx.subject)) }
}`, []string{`5:74: namespace "Folder" has no relation "owner"`, `5:74: namespace "User" has no relation "owner"`}},
		{"traverse target of the wrong kind", user + `class Folder implements Namespace {
 related: { view: User[] }
 permits = { edit: (ctx) => this.related.view.includes(ctx.subject) }
}
class D implements Namespace {
 related: { parents: Folder[] }
 permits = {
  a: (ctx) => this.related.parents.traverse(p => p.permits.view(ctx)),
  b: (ctx) => this.related.parents.traverse(p => p.related.edit.includes(ctx.subject)),
 }
}`, []string{
			`9:60: "view" is a related relation of namespace "Folder", not a permit; use p.related.view.includes(ctx.subject)`,
			`10:60: "edit" is a permit of namespace "Folder", not a related relation; use p.permits.edit(ctx)`,
		}},
		{"wrong parameter names", user + "class D implements Namespace {\n related: { a: User[] }\n permits = { v: (ctx) => this.related.a.includes(c.subject) || this.related.a.traverse(p => q.permits.x(ctx)) || this.permits.v(context) }\n}",
			[]string{
				`4:50: unknown identifier "c"; the permit's parameter is "ctx"`,
				`4:93: unknown identifier "q"; the callback's parameter is "p"`,
				`4:103: namespace "User" has no relation "x"`,
				`4:129: unknown identifier "context"; the permit's parameter is "ctx"`,
			}},
		{"bracket access names in hints", user + "class D implements Namespace {\n related: { \"a.b\": User[] }\n permits = { \"c.d\": (ctx) => this.permits[\"a.b\"](ctx) || this.related[\"c.d\"].includes(ctx.subject) }\n}",
			[]string{
				`4:43: "a.b" is a related relation of namespace "D", not a permit; use this.related["a.b"].includes(ctx.subject)`,
				`4:71: "c.d" is a permit of namespace "D", not a related relation; use this.permits["c.d"](ctx)`,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := errorLines(t, tt.src)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors\n got: %q\nwant: %q", got, tt.want)
			}
		})
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"not a class", "declare interface X {}\nclass A implements Namespace {}",
			[]string{`1:1: expected a class declaration or an import, found "declare"`}},
		{"reserved class name", "class this implements Namespace {}",
			[]string{`1:7: expected class name, found "this"`}},
		{"missing implements", "class A implments Namespace {}",
			[]string{`1:9: expected "implements" after class name, found "implments"`}},
		{"unknown member", "class A implements Namespace {\n  relatd: { x: A[] }\n  related: { y: A[] }\n}",
			[]string{`2:3: unexpected "relatd" in class body; expected "related: { ... }" or "permits = { ... }"`}},
		{"two related blocks", "class A implements Namespace {\n  related: { x: A[] }\n  related: { y: A[] }\n}",
			[]string{`3:3: class "A" has more than one related block`}},
		{"unclosed block at end", "class A implements Namespace {\n  related: { x: A[] \n",
			[]string{`3:1: expected '}', found end of input`}},
		{"unclosed block before next class", "class A implements Namespace {\n  related: { x: A[] \n class B implements Namespace {}",
			[]string{`3:2: expected '}', found "class"`}},
		{"unclosed class", "class A implements Namespace {\n  related: { x: A[] }\nclass B implements Namespace {}",
			[]string{`3:1: expected '}' to close class "A", found "class"`}},
		{"missing separator", "class A implements Namespace { related: { x: A[] y: A[] } }",
			[]string{`1:50: expected ',', ';', a line break or '}' after the type of relation "x", found "y"`}},
		{"missing array", "class A implements Namespace { related: { x: A } }",
			[]string{`1:48: expected '[]' (a relation holds an array of subject types), found '}'`}},
		{"array of arrays", "class A implements Namespace { related: { x: A[][] } }",
			[]string{`1:49: arrays of arrays are not allowed`}},
		{"union of arrays", "class A implements Namespace { related: { x: A[] | A[] } }",
			[]string{`1:50: a union of types must be written (A | B)[]`}},
		{"empty name", `class A implements Namespace { related: { "": A[] } }`,
			[]string{`1:43: relation name must not be empty`}},
		{"subject set without relation string", "class A implements Namespace { related: { x: SubjectSet<A, x>[] } }",
			[]string{`1:60: expected a relation name string in SubjectSet<Namespace, "relation">, found "x"`}},
		{"unterminated string", `class A implements Namespace { related: { x: "abc } }`,
			[]string{`1:46: unterminated string literal`, `1:54: expected '}', found end of input`}},
		{"bad escape", `class A implements Namespace { related: { "\u12": A[] } }`,
			[]string{`1:43: invalid escape sequence in string literal`}},
		{"unterminated comment", "class A implements Namespace { related: { x: A[] } /* unterminated",
			[]string{`1:52: unterminated block comment`, `1:67: expected '}' to close class "A", found end of input`}},
		{"stray character", "class A implements Namespace { related: { x: A[] } # }",
			[]string{`1:52: unexpected character '#'`}},
		{"template literal", "class A implements Namespace { related: { x: SubjectSet<A, `x`>[] } }",
			[]string{"1:60: template literals are not supported; use \"...\""}},
		{"bad import", "import { Namespace, Foo } from \"other\"\nclass A implements Namespace {}",
			[]string{
				`1:21: "@ory/keto-namespace-types" has no export "Foo"; expected Namespace, SubjectSet or Context`,
				`1:32: cannot import from "other"; only "@ory/keto-namespace-types" is available`,
			}},
		{"wrong parameter type", "class A implements Namespace { permits = { x: (ctx: string) => this.permits.x(ctx) } }",
			[]string{`1:53: the parameter of a permit must have type Context, not "string"`}},
		{"wrong return type", "class A implements Namespace { permits = { x: (ctx): number => this.permits.x(ctx) } }",
			[]string{`1:54: a permit must return boolean, not "number"`}},
		{"two parameters", "class A implements Namespace { permits = { x: (ctx, y) => this.permits.x(ctx) } }",
			[]string{`1:53: expected ')': a permit takes exactly one parameter, found "y"`}},
		{"boolean literal", "class A implements Namespace { permits = { x: (ctx) => true } }",
			[]string{`1:56: boolean literals are not supported in a permit`}},
		{"this.equals", "class A implements Namespace { permits = { x: (ctx) => this.equals(ctx.subject) } }",
			[]string{`1:61: this.equals is not supported; use this.related.R.includes(ctx.subject)`}},
		{"unknown method", "class A implements Namespace { related: { a: A[] } permits = { x: (ctx) => this.related.a.has(ctx.subject) } }",
			[]string{`1:91: unknown method "has"; expected includes or traverse`}},
		{"includes without subject", "class A implements Namespace { related: { a: A[] } permits = { x: (ctx) => this.related.a.includes(ctx) } }",
			[]string{`1:103: expected '.': the argument of includes is ctx.subject, found ')'`}},
		{"missing operand", "class A implements Namespace { related: { a: A[] } permits = { x: (ctx) => this.related.a.includes(ctx.subject) || } }",
			[]string{`1:116: expected this.related.R.includes(ctx.subject), this.permits.P(ctx), '!' or '(', found '}'`}},
		{"single ampersand", "class A implements Namespace { related: { a: A[] } permits = { x: (ctx) => this.related.a.includes(ctx.subject) & this.permits.x(ctx) } }",
			[]string{`1:113: '&' is not an operator of OPL; use '&&'`}},
		{"unclosed parenthesis", "class A implements Namespace { related: { a: A[] } permits = { x: (ctx) => (this.related.a.includes(ctx.subject) } }",
			[]string{`1:114: expected ')' to close the parenthesis, found '}'`}},
		{"compound traverse callback", "class A implements Namespace { related: { a: A[] } permits = { x: (ctx) => this.related.a.traverse(p => p.permits.x(ctx) || p.permits.x(ctx)) } }",
			[]string{`1:122: the traverse callback must be a single p.permits.P(ctx) or p.related.R.includes(ctx.subject)`}},
		{"nested traverse", "class A implements Namespace { related: { a: A[] } permits = { x: (ctx) => this.related.a.traverse(p => p.related.a.traverse(q => q.permits.x(ctx))) } }",
			[]string{`1:117: traverse cannot be nested inside traverse`}},
		{"callback uses this", "class A implements Namespace { related: { a: A[] } permits = { x: (ctx) => this.related.a.traverse(p => this.permits.x(ctx)) } }",
			[]string{`1:105: the callback must use its parameter "p", not this`}},
		{"callback block body", "class A implements Namespace { related: { a: A[] } permits = { x: (ctx) => this.related.a.traverse(p => { return p.permits.x(ctx) }) } }",
			[]string{`1:105: the callback must be an expression, not a block`}},
		{"reserved parameter names", "class A implements Namespace { related: { a: A[] } permits = { x: (this) => this.permits.x(this), y: c => this.related.a.traverse(new => new.permits.x(c)) } }",
			[]string{`1:68: "this" is a reserved word and cannot name a parameter`, `1:131: "new" is a reserved word and cannot name a parameter`}},
		{"callback hides ctx", "class A implements Namespace { related: { a: A[] } permits = { x: (ctx) => this.related.a.traverse(ctx => ctx.permits.x(ctx)) } }",
			[]string{`1:100: the callback's parameter "ctx" hides the permit's parameter; choose another name`}},
		{"too deep negation", "class A implements Namespace { permits = { x: (ctx) => " + strings.Repeat("!", 100) + "this.permits.x(ctx) } }",
			[]string{`1:120: expression nested too deeply (more than 64 levels)`}},
		{"too deep parentheses", "class A implements Namespace { permits = { x: (ctx) => " + strings.Repeat("(", 100) + "this.permits.x(ctx) } }",
			[]string{`1:120: expression nested too deeply (more than 64 levels)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := errorLines(t, tt.src)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors\n got: %q\nwant: %q", got, tt.want)
			}
		})
	}
}

func TestMaxDepthAllowed(t *testing.T) {
	src := "class A implements Namespace { permits = { x: (ctx) => " + strings.Repeat("!", MaxDepth) + "this.permits.x(ctx) } }"
	if _, err := Parse(src); err != nil {
		t.Errorf("%d levels must parse: %v", MaxDepth, err)
	}
}

func TestErrorRecovery(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"three mistakes in three places", user + `class A implements Namespace {
  related: {
    x: User[
    y: User[]
  }
  permits = {
    p: (ctx) => this.related.y.includes(ctx.subject) ||,
    q: (ctx) => this.related.y.includes(ctx.subject),
  }
}
class B implments Namespace { related: { z: User[] } }
class C implements Namespace { related: { w: A[], v: SubjectSet<A, "q">[] } }`, []string{
			`5:5: expected ']', found "y"`,
			`8:56: expected this.related.R.includes(ctx.subject), this.permits.P(ctx), '!' or '(', found ','`,
			`12:9: expected "implements" after class name, found "implments"`,
		}},
		{"syntax and semantic mistakes together", user + `class A implements Namespace {
  related: { x: Usr[]; y: User[]
    z: (User | )[] }
  permits = {
    p: (ctx) => this.related.z.includes(ctx.subject) || this.related.nope.includes(ctx.subject),
  }
}
class B implements Namespace { related: { a: SubjectSet<A, "x">[], b: SubjectSet<A, "z">[], c: SubjectSet<A, "w">[] } }`, []string{
			`3:17: unknown namespace "Usr"`,
			`4:16: expected a namespace name or SubjectSet<Namespace, "relation">, found ')'`,
			`6:70: namespace "A" has no relation "nope"`,
			`9:110: namespace "A" has no relation "w"`,
		}},
		{"broken relation is not reported again as missing", user + `class A implements Namespace {
  related: { x: User[] y: User[] }
  permits = { p: (ctx) => this.related.y.includes(ctx.subject) && this.related.x.includes(ctx.subject) }
}`, []string{
			`3:24: expected ',', ';', a line break or '}' after the type of relation "x", found "y"`,
		}},
		{"truncated class hides its relations", user + `class A implements Namespace {
  related: { x: User[] }
  permits = { p: (ctx) = this.related.x.includes(ctx.subject) }
  permits = { q: (ctx) => this.related.x.includes(ctx.subject) }
}
class B implements Namespace { related: { a: SubjectSet<A, "p">[] } }`, []string{
			`4:24: expected '=>' after the permit's parameter, found '='`,
			`5:3: class "A" has more than one permits block`,
		}},
		{"lost class name hides unknown namespaces", `class 1 implements Namespace {}
class B implements Namespace { related: { a: Lost[] } }`, []string{
			`1:7: expected class name, found number 1`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := errorLines(t, tt.src)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors\n got: %q\nwant: %q", got, tt.want)
			}
		})
	}
}

func TestTooManyErrors(t *testing.T) {
	src := strings.Repeat("class A implements Namespace { related: { x: Nope[] } }\n", 2*maxErrors)
	got := errorLines(t, src)
	if len(got) != maxErrors+1 || !strings.HasSuffix(got[maxErrors], "too many errors") {
		t.Errorf("got %d errors ending %q", len(got), got[len(got)-1])
	}
}

package opl

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// inInput reports whether pos lies within src: on one of its lines, at most
// one column past the line's last character.
func inInput(src string, pos Pos) bool {
	lines := strings.Split(src, "\n")
	if pos.Line < 1 || pos.Line > len(lines) {
		return false
	}
	return pos.Column >= 1 && pos.Column <= utf8.RuneCountInString(lines[pos.Line-1])+1
}

func FuzzParse(f *testing.F) {
	for _, s := range roundTripSources() {
		f.Add(s)
	}
	for _, s := range readExamples(f) {
		f.Add(s)
	}
	for _, s := range readScenarios(f) {
		f.Add(s)
	}
	if b, err := os.ReadFile(filepath.Join(sharedExamples, "namespace-types.d.ts")); err == nil {
		f.Add(string(b))
	}
	for _, s := range []string{
		"class A implements Namespace { related: { x: \"abc } }",
		"class A implements Namespace { related: { x: A[] } /* unterminated",
		"class A implements Namespace { permits = { x: (ctx) => " + strings.Repeat("(!", 80) + "this.permits.x(ctx) } }",
		"class 1 implements Namespace {}\nclass B implements Namespace { related: { a: Lost[] } }",
		"import { Namespace, Foo } from \"other\"\nclass A implements Namespace {}",
		"class A implements Namespace { related: { 'a\\u{1F600}\\uD83D': A[] } }",
		"\xff\xfeclass\r\nA implements Namespace {}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		start := time.Now()
		m, err := Parse(src)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Parse took %v for %d bytes", d, len(src))
		}
		if err != nil {
			if m != nil {
				t.Fatal("Parse returned a model and an error")
			}
			es, ok := err.(Errors)
			if !ok || len(es) == 0 {
				t.Fatalf("error %T %v, want non-empty Errors", err, err)
			}
			for _, e := range es {
				if !inInput(src, e.Pos) {
					t.Fatalf("error %v lies outside the input", e)
				}
				if e.Message == "" {
					t.Fatalf("error at %v without a message", e.Pos)
				}
			}
			return
		}
		if m == nil {
			t.Fatal("Parse returned neither a model nor an error")
		}
		for _, n := range m.Namespaces {
			if !inInput(src, n.Pos) {
				t.Fatalf("namespace %q at %v outside the input", n.Name, n.Pos)
			}
			for _, r := range n.Relations {
				if !inInput(src, r.Pos) {
					t.Fatalf("relation %q at %v outside the input", r.Name, r.Pos)
				}
			}
		}
		if errs := m.Check(); len(errs) > 0 {
			t.Fatalf("Check of a parsed model: %v", errs)
		}
		out := Format(m)
		m2, err := Parse(out)
		if err != nil {
			t.Fatalf("formatted model does not parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(noPos(m), noPos(m2)) {
			t.Fatalf("round trip changed the model\n%s", out)
		}
	})
}

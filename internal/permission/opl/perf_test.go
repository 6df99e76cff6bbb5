package opl

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// Large and pathological inputs must parse in time linear in their size.
func TestLargeInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	var many strings.Builder
	many.WriteString("class User implements Namespace {}\nclass D implements Namespace {\n  related: {\n")
	for i := 0; i < 20000; i++ {
		many.WriteString("    r" + strconv.Itoa(i) + ": User[]\n")
	}
	many.WriteString("  }\n  permits = {\n")
	for i := 0; i < 20000; i++ {
		many.WriteString("    p" + strconv.Itoa(i) + ": (ctx) => this.related.r" + strconv.Itoa(i) + ".includes(ctx.subject) || this.permits.p" + strconv.Itoa(i/2) + "(ctx),\n")
	}
	many.WriteString("  }\n}\n")
	inputs := map[string]string{
		"many relations":   many.String(),
		"many errors":      strings.Repeat("class A implements Namespace { related: { x: Nope[] y } }\n", 20000),
		"deep parentheses": "class A implements Namespace { permits = { x: (ctx) => " + strings.Repeat("(", 200000) + " } }",
		"many bangs":       strings.Repeat("!", 500000),
		"long comment":     "/*" + strings.Repeat("*", 500000),
		"long string":      `"` + strings.Repeat("\\u0041", 100000),
		"unclosed braces":  "class A implements Namespace {" + strings.Repeat(" related: {", 50000),
		"many classes":     strings.Repeat("class ", 200000),
		"many refs to one": "class A implements Namespace { related: { a: A[] } permits = { x: (ctx) => " +
			strings.Repeat("this.related.a.traverse(p => p.permits.x(ctx)) || ", 20000) + "this.permits.x(ctx) } }",
	}
	for name, src := range inputs {
		start := time.Now()
		m, err := Parse(src)
		// A guard against quadratic blow-up (minutes), not a speed target:
		// these parse in well under a second on a quiet machine.
		if d := time.Since(start); d > 60*time.Second {
			t.Errorf("%s: %d bytes took %v", name, len(src), d)
		}
		if name == "many relations" || name == "many refs to one" {
			if err != nil {
				t.Errorf("%s: %.200v", name, err)
				continue
			}
			start = time.Now()
			_ = Format(m)
			_ = m.Check()
			// A guard against quadratic blow-up (minutes), not a speed target:
			// these parse in well under a second on a quiet machine.
			if d := time.Since(start); d > 60*time.Second {
				t.Errorf("%s: Format and Check took %v", name, d)
			}
		}
	}
}

package sqldb

import (
	"strconv"
	"strings"
	"testing"
)

func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT ?", "SELECT $1"},
		{"INSERT INTO t (a, b) VALUES (?, ?)", "INSERT INTO t (a, b) VALUES ($1, $2)"},
		{"WHERE a = ? AND b = '?' AND c = ?", "WHERE a = $1 AND b = '?' AND c = $2"},
		{"WHERE a = 'it''s ?' AND b = ?", "WHERE a = 'it''s ?' AND b = $1"},
		{`WHERE "odd?col" = ?`, `WHERE "odd?col" = $1`},
		{`WHERE "a""?" = ?`, `WHERE "a""?" = $1`},
		{"WHERE a = E'\\'?' AND b = ?", "WHERE a = E'\\'?' AND b = $1"},
		{"WHERE a = '\\' AND b = ?", "WHERE a = '\\' AND b = $1"}, // no E: backslash is plain
		{"SELECT ? -- what?\n, ?", "SELECT $1 -- what?\n, $2"},
		{"SELECT ? /* a /* nested? */ still? */ , ?", "SELECT $1 /* a /* nested? */ still? */ , $2"},
		{"SELECT $$ ? $$, ?", "SELECT $$ ? $$, $1"},
		{"SELECT $tag$ ? $x$ ? $tag$, ?", "SELECT $tag$ ? $x$ ? $tag$, $1"},
		{"SELECT a$b, ?", "SELECT a$b, $1"},
		{"SELECT $1, ?", "SELECT $1, $1"},
		{"SELECT 'unterminated ?", "SELECT 'unterminated ?"},
		{"SELECT ? /* unterminated ?", "SELECT $1 /* unterminated ?"},
		{"SELECT LIKE'\\' , ?", "SELECT LIKE'\\' , $1"},
		{"?,?,?,?,?,?,?,?,?,?,?", "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11"},
		{"SELECT 'é?', ?", "SELECT 'é?', $1"},
	} {
		if got := Rebind(c.in); got != c.want {
			t.Errorf("Rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRebindCache(t *testing.T) {
	var c rewriteCache
	q := "SELECT ? FROM t WHERE x = ?"
	if got := c.get(q); got != "SELECT $1 FROM t WHERE x = $2" {
		t.Fatal(got)
	}
	if got := c.get(q); got != "SELECT $1 FROM t WHERE x = $2" || c.n.Load() != 1 {
		t.Fatalf("second get = %q, %d entries", got, c.n.Load())
	}
	allocs := testing.AllocsPerRun(100, func() { _ = c.get(q) })
	if allocs != 0 {
		t.Errorf("cached rewrite allocates %v times", allocs)
	}
}

func BenchmarkRebindCached(b *testing.B) {
	q := "INSERT INTO t (a, b, c, d) VALUES (?, ?, ?, ?) ON CONFLICT (a) DO UPDATE SET b = excluded.b"
	for b.Loop() {
		_ = pgQueries.get(q)
	}
}

func FuzzRebind(f *testing.F) {
	for _, s := range []string{
		"SELECT ?", "'?'", `"?"`, "-- ?\n?", "/* /* ? */ */ ?", "$$?$$?", "$a$?$a$?", "E'\\'?'?", "$", "$1?", "'", "/*",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Rebind(s)
		if !strings.Contains(s, "?") && out != s {
			t.Fatalf("Rebind changed a query without ?: %q -> %q", s, out)
		}
		// Only ? are replaced, each by the next $n.
		k := strings.Count(s, "?") - strings.Count(out, "?")
		if k < 0 {
			t.Fatalf("Rebind(%q) = %q added a ?", s, out)
		}
		grow := 0
		for i := 1; i <= k; i++ {
			grow += len(strconv.Itoa(i))
		}
		if len(out) != len(s)+grow {
			t.Fatalf("Rebind(%q) = %q: length %d, want %d for %d placeholders", s, out, len(out), len(s)+grow, k)
		}
		if k > 0 && !strings.Contains(out, "$"+strconv.Itoa(k)) {
			t.Fatalf("Rebind(%q) = %q lacks $%d", s, out, k)
		}
	})
}

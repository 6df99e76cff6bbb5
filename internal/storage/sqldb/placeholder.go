package sqldb

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// maxCachedQueries bounds the rewrite cache so that queries built at run time
// (for example IN lists of varying length) cannot grow it without limit.
// Past the bound, queries are still rewritten, just not remembered.
const maxCachedQueries = 8192

// rewriteCache maps a query written with ? placeholders to its $n form.
type rewriteCache struct {
	m sync.Map // string -> string
	n atomic.Int64
}

var pgQueries rewriteCache

func (c *rewriteCache) get(query string) string {
	if v, ok := c.m.Load(query); ok {
		return v.(string)
	}
	out := Rebind(query)
	if c.n.Load() < maxCachedQueries {
		if _, loaded := c.m.LoadOrStore(query, out); !loaded {
			c.n.Add(1)
		}
	}
	return out
}

// Rebind rewrites ? placeholders to PostgreSQL's $1..$n, left to right. A ?
// inside a string literal ('...', E'...'), a quoted identifier ("..."), a
// dollar-quoted string ($tag$...$tag$) or a comment (-- and nested /* */) is
// left alone. PostgreSQL's jsonb operators ?, ?| and ?& therefore cannot be
// written directly; use jsonb_exists, jsonb_exists_any and jsonb_exists_all.
// Rebind never panics; unterminated literals or comments run to the end.
func Rebind(query string) string {
	if strings.IndexByte(query, '?') < 0 {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	start := 0
	for i := 0; i < len(query); {
		c := query[i]
		switch {
		case c == '?':
			b.WriteString(query[start:i])
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i++
			start = i
		case c == '\'':
			escapes := i > 0 && (query[i-1] == 'E' || query[i-1] == 'e') && (i < 2 || !isIdent(query[i-2]))
			i = skipQuoted(query, i, '\'', escapes)
		case c == '"':
			i = skipQuoted(query, i, '"', false)
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			i = skipLineComment(query, i)
		case c == '/' && i+1 < len(query) && query[i+1] == '*':
			i = skipBlockComment(query, i)
		case c == '$' && (i == 0 || !isIdent(query[i-1])):
			i = skipDollarQuoted(query, i)
		default:
			i++
		}
	}
	b.WriteString(query[start:])
	return b.String()
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// skipQuoted returns the index just past the literal opened at query[i]. A
// doubled quote is an escaped quote; with backslash set, \x escapes x too.
func skipQuoted(query string, i int, quote byte, backslash bool) int {
	for i++; i < len(query); i++ {
		switch query[i] {
		case '\\':
			if backslash {
				i++
			}
		case quote:
			if i+1 < len(query) && query[i+1] == quote {
				i++
				continue
			}
			return i + 1
		}
	}
	return len(query)
}

func skipLineComment(query string, i int) int {
	if j := strings.IndexByte(query[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(query)
}

// skipBlockComment skips a /* */ comment; PostgreSQL lets them nest.
func skipBlockComment(query string, i int) int {
	depth := 0
	for i < len(query) {
		switch {
		case strings.HasPrefix(query[i:], "/*"):
			depth++
			i += 2
		case strings.HasPrefix(query[i:], "*/"):
			depth--
			i += 2
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return len(query)
}

// skipDollarQuoted skips $tag$...$tag$ when query[i] opens one, and otherwise
// just the '$' (as in a $1 parameter).
func skipDollarQuoted(query string, i int) int {
	j := i + 1
	for j < len(query) && query[j] != '$' {
		c := query[j]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80 || j > i+1 && c >= '0' && c <= '9') {
			return i + 1
		}
		j++
	}
	if j >= len(query) {
		return i + 1
	}
	tag := query[i : j+1]
	if end := strings.Index(query[j+1:], tag); end >= 0 {
		return j + 1 + end + len(tag)
	}
	return len(query)
}

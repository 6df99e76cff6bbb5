package opl

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

type tokenKind int

const (
	tEOF     tokenKind = iota
	tIdent             // identifier or keyword; text is the name
	tString            // string literal; text is the decoded value
	tNumber            // numeric literal; only ever an error
	tPunct             // operator or delimiter; text is the symbol
	tIllegal           // lexical error; text is the message
)

type token struct {
	kind tokenKind
	text string
	pos  Pos
	nl   bool // a line terminator comes between the previous token and this one
}

// describe names the token in error messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tIdent:
		return fmt.Sprintf("%q", t.text)
	case tString:
		return "string " + quote(t.text)
	case tNumber:
		return "number " + t.text
	case tPunct:
		return "'" + t.text + "'"
	}
	return t.text
}

func (t token) is(kind tokenKind, text string) bool { return t.kind == kind && t.text == text }

// punctuators, longest first where one is a prefix of another.
var punctuators = []string{"=>", "||", "&&", "{", "}", "(", ")", "[", "]", "<", ">", ",", ";", ":", ".", "|", "&", "!", "=", "?"}

type lexer struct {
	src       string
	off       int
	line, col int
	toks      []token
}

// lex splits src into tokens, dropping white space and comments. Lexical
// errors become tIllegal tokens so the parser reports them in context. The last
// token is always tEOF.
func lex(src string) []token {
	l := &lexer{src: src, line: 1, col: 1}
	nl := false
	for {
		nl = l.skipSpace(nl)
		if l.off >= len(l.src) {
			l.toks = append(l.toks, token{kind: tEOF, pos: l.pos(), nl: nl})
			return l.toks
		}
		if strings.HasPrefix(l.src[l.off:], "/*") {
			start := l.pos()
			end := strings.Index(l.src[l.off+2:], "*/")
			if end < 0 {
				l.toks = append(l.toks, token{kind: tIllegal, text: "unterminated block comment", pos: start, nl: nl})
				l.advance(len(l.src) - l.off)
				continue
			}
			body := l.src[l.off : l.off+2+end+2]
			if strings.ContainsAny(body, "\n\r") {
				nl = true
			}
			l.advance(len(body))
			continue
		}
		t := l.next()
		t.nl = nl
		l.toks = append(l.toks, t)
		nl = false
	}
}

func (l *lexer) pos() Pos { return Pos{Line: l.line, Column: l.col} }

// advance moves n bytes forward, keeping line and column.
func (l *lexer) advance(n int) {
	end := l.off + n
	for l.off < end {
		r, size := utf8.DecodeRuneInString(l.src[l.off:])
		l.off += size
		if r == '\n' {
			l.line++
			l.col = 1
		} else {
			l.col++
		}
	}
}

// skipSpace skips white space and line comments and reports whether a line
// terminator was passed (or nl was already set).
func (l *lexer) skipSpace(nl bool) bool {
	for l.off < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.off:])
		switch {
		case r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029':
			nl = true
			l.advance(size)
		case r == ' ' || r == '\t' || r == '\v' || r == '\f' || r == '\uFEFF' || r == '\u00A0' ||
			(r > unicode.MaxASCII && unicode.Is(unicode.Zs, r)):
			l.advance(size)
		case strings.HasPrefix(l.src[l.off:], "//"):
			end := strings.IndexAny(l.src[l.off:], "\n\r")
			if end < 0 {
				end = len(l.src) - l.off
			}
			l.advance(end)
		default:
			return nl
		}
	}
	return nl
}

func isIdentStart(r rune) bool {
	return r == '_' || r == '$' || unicode.IsLetter(r)
}

func isIdentPart(r rune) bool {
	return isIdentStart(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) ||
		unicode.Is(unicode.Pc, r)
}

// isIdent reports whether s lexes as a single identifier.
func isIdent(s string) bool {
	for i, r := range s {
		if r == utf8.RuneError || !isIdentPart(r) || i == 0 && !isIdentStart(r) {
			return false
		}
	}
	return s != ""
}

func (l *lexer) next() token {
	start := l.pos()
	rest := l.src[l.off:]
	r, size := utf8.DecodeRuneInString(rest)
	switch {
	case r == utf8.RuneError && size == 1:
		l.advance(1)
		return token{kind: tIllegal, text: "invalid UTF-8 encoding", pos: start}
	case isIdentStart(r):
		n := 0
		for n < len(rest) {
			r, size := utf8.DecodeRuneInString(rest[n:])
			if r == utf8.RuneError || !isIdentPart(r) {
				break
			}
			n += size
		}
		l.advance(n)
		return token{kind: tIdent, text: rest[:n], pos: start}
	case r >= '0' && r <= '9':
		n := 0
		for n < len(rest) && (rest[n] == '.' || rest[n] < utf8.RuneSelf && isIdentPart(rune(rest[n]))) {
			n++
		}
		l.advance(n)
		return token{kind: tNumber, text: rest[:n], pos: start}
	case r == '"' || r == '\'':
		return l.string(start, byte(r))
	case r == '`':
		l.advance(1)
		return token{kind: tIllegal, text: "template literals are not supported; use \"...\"", pos: start}
	}
	for _, p := range punctuators {
		if strings.HasPrefix(rest, p) {
			l.advance(len(p))
			return token{kind: tPunct, text: p, pos: start}
		}
	}
	l.advance(size)
	return token{kind: tIllegal, text: fmt.Sprintf("unexpected character %q", r), pos: start}
}

// string lexes a quoted string starting at the quote q.
func (l *lexer) string(start Pos, q byte) token {
	l.advance(1)
	var b strings.Builder
	illegal := func(msg string) token {
		// Skip the rest of the literal so one mistake gives one error.
		for l.off < len(l.src) && l.src[l.off] != q && l.src[l.off] != '\n' && l.src[l.off] != '\r' {
			if l.src[l.off] == '\\' && l.off+1 < len(l.src) && l.src[l.off+1] == q {
				l.advance(1)
			}
			l.advance(1)
		}
		if l.off < len(l.src) && l.src[l.off] == q {
			l.advance(1)
		}
		return token{kind: tIllegal, text: msg, pos: start}
	}
	for {
		if l.off >= len(l.src) {
			return token{kind: tIllegal, text: "unterminated string literal", pos: start}
		}
		c := l.src[l.off]
		switch {
		case c == q:
			l.advance(1)
			return token{kind: tString, text: b.String(), pos: start}
		case c == '\n' || c == '\r':
			return token{kind: tIllegal, text: "unterminated string literal", pos: start}
		case c == '\\':
			r, ok := l.escape()
			if !ok {
				return illegal("invalid escape sequence in string literal")
			}
			if r >= 0 {
				b.WriteRune(r)
			}
		default:
			r, size := utf8.DecodeRuneInString(l.src[l.off:])
			if r == utf8.RuneError && size == 1 {
				return illegal("invalid UTF-8 encoding in string literal")
			}
			b.WriteRune(r)
			l.advance(size)
		}
	}
}

var simpleEscapes = map[byte]rune{'n': '\n', 'r': '\r', 't': '\t', 'b': '\b', 'f': '\f', 'v': '\v', '\\': '\\', '\'': '\'', '"': '"'}

// escape decodes the escape sequence at the backslash under the cursor. It
// returns -1 for a line continuation.
func (l *lexer) escape() (rune, bool) {
	rest := l.src[l.off:]
	if len(rest) < 2 {
		return 0, false
	}
	if r, ok := simpleEscapes[rest[1]]; ok {
		l.advance(2)
		return r, true
	}
	switch rest[1] {
	case '\n':
		l.advance(2)
		return -1, true
	case '\r':
		n := 2
		if len(rest) > 2 && rest[2] == '\n' {
			n = 3
		}
		l.advance(n)
		return -1, true
	case '0':
		if len(rest) > 2 && rest[2] >= '0' && rest[2] <= '9' {
			return 0, false // octal escapes are not allowed
		}
		l.advance(2)
		return 0, true
	case 'x':
		if len(rest) < 4 {
			return 0, false
		}
		v, err := strconv.ParseUint(rest[2:4], 16, 8)
		if err != nil {
			return 0, false
		}
		l.advance(4)
		return rune(v), true
	case 'u':
		r, n := unicodeEscape(rest)
		if n == 0 {
			return 0, false
		}
		if utf16.IsSurrogate(r) {
			r2, n2 := unicodeEscape(rest[n:])
			if n2 == 0 || r >= 0xDC00 {
				return 0, false
			}
			r = utf16.DecodeRune(r, r2)
			if r == utf8.RuneError {
				return 0, false
			}
			n += n2
		}
		l.advance(n)
		return r, true
	}
	r, size := utf8.DecodeRuneInString(rest[1:])
	if (r == utf8.RuneError && size == 1) || (r >= '1' && r <= '9') {
		return 0, false
	}
	l.advance(1 + size) // any other escaped character stands for itself
	return r, true
}

// unicodeEscape decodes \uXXXX or \u{X...} at the start of s and returns the
// rune and the length consumed, or 0 length if there is none.
func unicodeEscape(s string) (rune, int) {
	if len(s) < 3 || s[0] != '\\' || s[1] != 'u' {
		return 0, 0
	}
	if s[2] == '{' {
		end := strings.IndexByte(s, '}')
		if end < 4 || end > 9 {
			return 0, 0
		}
		v, err := strconv.ParseUint(s[3:end], 16, 32)
		if err != nil || v > unicode.MaxRune || utf16.IsSurrogate(rune(v)) {
			return 0, 0
		}
		return rune(v), end + 1
	}
	if len(s) < 6 {
		return 0, 0
	}
	v, err := strconv.ParseUint(s[2:6], 16, 16)
	if err != nil {
		return 0, 0
	}
	return rune(v), 6
}

// quote writes s as a double-quoted OPL string literal that lexes back to s.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' || r == utf8.RuneError {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

package schema

import (
	"errors"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// formats are the format assertions this package installs in every
// compiler, replacing the library's own for these names.
var formats = []*jsonschema.Format{
	{Name: "email", Validate: stringFormat(checkEmail)},
	{Name: "tel", Validate: stringFormat(checkTel)},
	{Name: "date", Validate: stringFormat(checkDate)},
	{Name: "uri", Validate: stringFormat(checkURI)},
}

// stringFormat applies check to strings; other JSON types are left to the
// type keyword, as the specification asks.
func stringFormat(check func(string) error) func(any) error {
	return func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		return check(s)
	}
}

// isEmail reports whether s is an email address a person can sign up with.
func isEmail(s string) bool { return checkEmail(s) == nil }

// isTel reports whether s is a phone number in E.164 form.
func isTel(s string) bool { return checkTel(s) == nil }

// checkEmail accepts local@domain where the local part is 1 to 64 bytes of
// RFC 5322 atext (letters and digits of any script allowed) and dots, never
// leading, trailing or doubled; and the domain is a host name of at least two
// labels, each 1 to 63 bytes of letters, digits and inner hyphens, with a
// top-level label that is not all digits. Quoted local parts, comments,
// display names and address literals ([192.0.2.1]) are refused: nobody signs
// up with them, and they are how addresses are made to look alike.
func checkEmail(s string) error {
	if len(s) > 254 {
		return errors.New("longer than 254 bytes")
	}
	if !utf8.ValidString(s) {
		return errors.New("not valid UTF-8")
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return errors.New("missing @")
	}
	local, domain := s[:at], s[at+1:]
	if local == "" || len(local) > 64 {
		return errors.New("the part before @ must be 1 to 64 bytes")
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return errors.New("misplaced dot before @")
	}
	for _, r := range local {
		if !isAtext(r) && r != '.' {
			return errors.New("invalid character before @")
		}
	}
	return checkHost(domain)
}

func isAtext(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	case strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r):
		return true
	case r >= utf8.RuneSelf:
		return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
	}
	return false
}

func checkHost(domain string) error {
	if domain == "" || len(domain) > 253 {
		return errors.New("the domain must be 1 to 253 bytes")
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return errors.New("the domain needs a dot")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return errors.New("each domain label must be 1 to 63 bytes")
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return errors.New("a domain label cannot start or end with a hyphen")
		}
		for _, r := range l {
			ok := r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
				r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r))
			if !ok {
				return errors.New("invalid character in the domain")
			}
		}
	}
	tld := labels[len(labels)-1]
	if strings.Trim(tld, "0123456789") == "" {
		return errors.New("the top-level domain cannot be all digits")
	}
	return nil
}

// checkTel accepts E.164 numbers: "+", a country code that does not start
// with 0, and 7 to 15 digits in all, without spaces or separators.
func checkTel(s string) error {
	digits, ok := strings.CutPrefix(s, "+")
	if !ok {
		return errors.New("must start with +")
	}
	if len(digits) < 7 || len(digits) > 15 {
		return errors.New("must have 7 to 15 digits")
	}
	if digits[0] == '0' {
		return errors.New("the country code cannot start with 0")
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return errors.New("only digits may follow +")
		}
	}
	return nil
}

// checkDate accepts an RFC 3339 full-date (2006-01-02) of a day that exists.
func checkDate(s string) error {
	if len(s) != len(time.DateOnly) {
		return errors.New("must be YYYY-MM-DD")
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return errors.New("must be an existing day as YYYY-MM-DD")
	}
	return nil
}

// checkURI accepts an absolute URI (with a scheme) made of RFC 3986
// characters, with well-formed percent-escapes.
func checkURI(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-._~:/?#[]@!$&'()*+,;=", c) >= 0:
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return errors.New("malformed percent-escape")
			}
		default:
			return errors.New("character not allowed in a URI")
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URI")
	}
	if u.Scheme == "" {
		return errors.New("not an absolute URI")
	}
	return nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

package schema

import (
	"strings"
	"testing"
)

func TestFormats(t *testing.T) {
	cases := []struct {
		check func(string) error
		name  string
		good  []string
		bad   []string
	}{
		{checkEmail, "email",
			[]string{"alice@example.com", "a.b+tag@sub.example.co.uk", "o'neil@example.org", "x_y-z@ex-ample.io",
				"jörg@bücher.de", "用户@例子.广告", "a@b.co", strings.Repeat("a", 64) + "@example.com"},
			[]string{"", "alice", "@example.com", "alice@", "alice@example", "alice@@example.com", "a@b@example.com",
				".a@example.com", "a.@example.com", "a..b@example.com", "a b@example.com", "a@exa mple.com",
				"\"a\"@example.com", "Alice <a@example.com>", "a@[192.0.2.1]", "a@-example.com", "a@example-.com",
				"a@example..com", "a@example.123", "a@example.com.", strings.Repeat("a", 65) + "@example.com",
				"a@" + strings.Repeat("b", 64) + ".com", "a@" + strings.Repeat("b.", 130) + "com", "a\x00@example.com",
				"a@example.com\n", "\xff@example.com"}},
		{checkTel, "tel",
			[]string{"+4915112345678", "+1234567", "+123456789012345", "+442071838750"},
			[]string{"", "4915112345678", "+", "+123456", "+1234567890123456", "+0123456789", "+49 151 12345678",
				"+49-151-12345678", "+49151abc", "++4915112345678", "+４９１５１１２３４５６７８"}},
		{checkDate, "date",
			[]string{"2000-02-29", "1999-12-31", "2024-01-01"},
			[]string{"", "2001-02-29", "2020-13-01", "2020-1-1", "20200101", "2020-01-01T00:00:00Z", "2020-01-32", " 2020-01-01"}},
		{checkURI, "uri",
			[]string{"https://example.com", "https://example.com/a%20b?q=1#f", "mailto:a@example.com", "urn:isbn:0451450523",
				"http://[::1]:8080/", "tel:+4915112345678"},
			[]string{"", "example.com", "/relative/path", "https://exa mple.com", "https://example.com/%zz", "https://example.com/%",
				"https://例子.广告", "://x", "1http://x", "http://x/\x7f"}},
	}
	for _, tc := range cases {
		for _, s := range tc.good {
			if err := tc.check(s); err != nil {
				t.Errorf("%s: %q refused: %v", tc.name, s, err)
			}
		}
		for _, s := range tc.bad {
			if tc.check(s) == nil {
				t.Errorf("%s: %q accepted", tc.name, s)
			}
		}
	}
	// Formats leave other types to the type keyword.
	for _, f := range formats {
		if err := f.Validate(42); err != nil {
			t.Errorf("%s refuses a number: %v", f.Name, err)
		}
	}
}

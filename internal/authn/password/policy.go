package password

import (
	"context"
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Message ids of password policy violations, the same numbers Ory Kratos
// uses for them in its UI messages.
const (
	MessageTooSimilar = 4000031 // too similar to the identifier
	MessageTooShort   = 4000032 // context: min_length, actual_length
	MessageTooLong    = 4000033 // context: max_length, actual_length
	MessageBreached   = 4000034 // context: breaches
)

// Policy defaults.
const (
	DefaultMinLength = 8
	// DefaultMaxLength (characters) keeps every accepted password within
	// the 4096 bytes Hash accepts, since a character takes at most four
	// bytes in UTF-8.
	DefaultMaxLength = 1024
	// identifierCompareMax bounds the characters of the identifier used by
	// the similarity check, which takes time proportional to the product of
	// the two lengths.
	identifierCompareMax = 512
)

// PolicyError is a password policy violation: a message for the user, with
// a Kratos-compatible id and the values the text was made from.
type PolicyError struct {
	ID      int
	Text    string
	Context map[string]any
}

func (e *PolicyError) Error() string { return e.Text }

// Policy decides whether a new password is acceptable. Start from
// DefaultPolicy: in the zero value the similarity check is off, and zero
// lengths mean the defaults.
type Policy struct {
	// MinLength and MaxLength count characters (Unicode code points).
	MinLength int
	MaxLength int
	// IdentifierSimilarity refuses a password too similar to the
	// identifier it is for (see Validate).
	IdentifierSimilarity bool
	// Breaches, when set, looks the password up in a breach corpus.
	Breaches *BreachChecker
	// MaxBreaches is how many times a password may appear in breaches and
	// still be accepted; 0 refuses any breached password.
	MaxBreaches int64
	// IgnoreNetworkErrors accepts a password when the breach corpus cannot
	// be reached, rather than failing Validate.
	IgnoreNetworkErrors bool
}

// DefaultPolicy returns the defaults: 8 to 1024 characters, the similarity
// check on, network errors of the breach check ignored, and no breach
// checker (set Breaches to enable it).
func DefaultPolicy() Policy {
	return Policy{
		MinLength:            DefaultMinLength,
		MaxLength:            DefaultMaxLength,
		IdentifierSimilarity: true,
		IgnoreNetworkErrors:  true,
	}
}

// Validate checks password, in this order, for its length, its similarity
// to identifier and its presence in breaches. A violation is returned as a
// *PolicyError. Other errors come from the breach check: when the corpus
// cannot be reached and IgnoreNetworkErrors is false, an error wrapping
// ErrBreachCheckFailed; when ctx ends, ctx.Err().
//
// The similarity rule: both strings are normalised (NFKC, then Unicode case
// folding), and the password is too similar when the longest run of
// characters it shares with the identifier makes up at least half of the
// password. So "alice@example.com1" and "example1" are refused for
// "alice@example.com", while "alice-likes-long-walks" is accepted. An empty
// identifier is never similar.
func (p Policy) Validate(ctx context.Context, identifier, password string) error {
	minLen, maxLen := p.MinLength, p.MaxLength
	if minLen <= 0 {
		minLen = DefaultMinLength
	}
	if maxLen <= 0 {
		maxLen = DefaultMaxLength
	}
	n := utf8.RuneCountInString(password)
	if n < minLen {
		return &PolicyError{
			ID:      MessageTooShort,
			Text:    fmt.Sprintf("The password must be at least %d characters long, but got %d.", minLen, n),
			Context: map[string]any{"min_length": minLen, "actual_length": n},
		}
	}
	if n > maxLen {
		return &PolicyError{
			ID:      MessageTooLong,
			Text:    fmt.Sprintf("The password must be at most %d characters long, but got %d.", maxLen, n),
			Context: map[string]any{"max_length": maxLen, "actual_length": n},
		}
	}
	if p.IdentifierSimilarity && TooSimilar(identifier, password) {
		return &PolicyError{
			ID:   MessageTooSimilar,
			Text: "The password can not be used because it is too similar to the identifier.",
		}
	}
	if p.Breaches == nil {
		return nil
	}
	count, err := p.Breaches.Count(ctx, password)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if p.IgnoreNetworkErrors {
			return nil
		}
		return err
	}
	if count > p.MaxBreaches {
		return &PolicyError{
			ID:      MessageBreached,
			Text:    "The password has been found in data breaches and must no longer be used.",
			Context: map[string]any{"breaches": count},
		}
	}
	return nil
}

// TooSimilar applies the similarity rule described at Validate.
func TooSimilar(identifier, password string) bool {
	id := foldRunes(identifier)
	pw := foldRunes(password)
	if len(id) == 0 || len(pw) == 0 {
		return false
	}
	if len(id) > identifierCompareMax {
		id = id[:identifierCompareMax]
	}
	return 2*longestCommonRun(id, pw) >= len(pw)
}

func foldRunes(s string) []rune {
	return []rune(cases.Fold().String(norm.NFKC.String(s)))
}

// longestCommonRun returns the length of the longest sequence of runes that
// occurs contiguously in both a and b, in O(len(a)*len(b)) time and
// O(len(b)) memory.
func longestCommonRun(a, b []rune) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	best := 0
	for i := range a {
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
				best = max(best, cur[j+1])
			} else {
				cur[j+1] = 0
			}
		}
		prev, cur = cur, prev
	}
	return best
}

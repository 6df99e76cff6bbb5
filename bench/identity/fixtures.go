// Package identity holds what the identity benchmarks share: the fixtures
// file that bench/cmd/identityseed writes and the K* workloads of
// bench/load read (--identity-fixtures). The seeding itself is in
// bench/identity/seed; run.sh in this folder runs the whole sequence.
package identity

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// Fixtures names what a seeded database holds. Emails[k] and IDs[k] belong
// to the same identity; every identity has a password credential whose
// identifier is its email and whose password is Password. Each token of
// Tokens is the secret of one active API session (X-Session-Token) of
// some seeded identity.
type Fixtures struct {
	// Hasher describes the stored password hash, e.g. "argon2id m=19456
	// t=2 p=1" or "bcrypt cost 12". A server hashing with other
	// parameters rehashes a password at its next sign-in, so K2 is only
	// meaningful against a server configured the same way.
	Hasher   string   `json:"hasher"`
	Password string   `json:"password"`
	Emails   []string `json:"emails"`
	IDs      []string `json:"identity_ids"`
	Tokens   []string `json:"session_tokens"`
}

// Validate checks that the file is usable: a password, and as many ids as
// emails.
func (f *Fixtures) Validate() error {
	switch {
	case len(f.Emails) != len(f.IDs):
		return fmt.Errorf("%d emails but %d identity ids", len(f.Emails), len(f.IDs))
	case len(f.Emails) > 0 && f.Password == "":
		return errors.New("no password")
	}
	return nil
}

// WriteFixtures writes f to path as JSON.
func WriteFixtures(path string, f *Fixtures) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadFixtures reads and validates a fixtures file.
func ReadFixtures(path string) (*Fixtures, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f Fixtures
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &f, nil
}

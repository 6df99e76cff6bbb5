package permission

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// FixturesVersion is the version of the fixtures file format.
const FixturesVersion = 1

// Fixtures lists the ids of a generated dataset that the workloads check. Ids
// are object ids; their namespaces follow from the field (users are User
// objects, checked as the subject User:<id>).
type Fixtures struct {
	Version int     `json:"version"`
	Scale   float64 `json:"scale"`
	Seed    uint64  `json:"seed"`
	Tuples  int     `json:"tuples"`
	Counts  Counts  `json:"counts"`
	// Chain: Document#view@User through ChainDepth nested groups (C2).
	Chain ChainFixture `json:"chain"`
	// Wide: documents with 200 and 1,000 parent folders (C3a, C3d, C3k).
	Wide []WideFixture `json:"wide"`
	// Owners: direct Document#owners@User tuples (C1).
	Owners []OwnerPair `json:"owners"`
}

// Counts are the object counts of a dataset.
type Counts struct {
	Users     int `json:"users"`
	Groups    int `json:"groups"`
	Folders   int `json:"folders"`
	Documents int `json:"documents"`
}

// ChainFixture is the deepest group chain.
type ChainFixture struct {
	// Depth counts the groups from TopGroup down to DeepestGroup.
	Depth int `json:"depth"`
	// User is a member of DeepestGroup and of nothing else.
	User string `json:"user"`
	// TopGroup is the only viewer of Document.
	TopGroup     string `json:"top_group"`
	DeepestGroup string `json:"deepest_group"`
	Document     string `json:"document"`
}

// WideFixture is a document with many parent folders.
type WideFixture struct {
	Parents  int    `json:"parents"`
	Document string `json:"document"`
	// AllowedUser can view the document through exactly one of its parents,
	// AllowedVia, a folder with no sub-folders.
	AllowedUser string `json:"allowed_user"`
	AllowedVia  string `json:"allowed_via"`
	// DeniedUser cannot view the document through any parent.
	DeniedUser string `json:"denied_user"`
}

// OwnerPair is a direct tuple Document:<document>#owners@User:<user>.
type OwnerPair struct {
	Document string `json:"document"`
	User     string `json:"user"`
}

// WideWith returns the wide document with n parents.
func (f *Fixtures) WideWith(n int) (WideFixture, bool) {
	for _, w := range f.Wide {
		if w.Parents == n {
			return w, true
		}
	}
	return WideFixture{}, false
}

// WriteFixtures writes f as indented JSON.
func WriteFixtures(path string, f *Fixtures) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadFixtures reads and checks a fixtures file.
func ReadFixtures(path string) (*Fixtures, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f Fixtures
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.Version != FixturesVersion {
		return nil, fmt.Errorf("%s: fixtures version %d, this harness reads version %d", path, f.Version, FixturesVersion)
	}
	var problems []error
	if f.Chain.User == "" || f.Chain.Document == "" {
		problems = append(problems, errors.New("chain: user and document are required"))
	}
	for _, w := range f.Wide {
		if w.Document == "" || w.AllowedUser == "" || w.DeniedUser == "" {
			problems = append(problems, fmt.Errorf("wide %d: document, allowed_user and denied_user are required", w.Parents))
		}
	}
	if len(f.Owners) == 0 {
		problems = append(problems, errors.New("owners: at least one pair is required"))
	}
	if err := errors.Join(problems...); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &f, nil
}

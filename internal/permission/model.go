package permission

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/warden-iam/warden/internal/permission/opl"
)

// Model is the namespace configuration in force: an OPL model, plus
// namespaces declared by name only (the legacy list form), which accept any
// relation and have no rewrites.
type Model struct {
	OPL    *opl.Model
	Legacy map[string]bool
	Source string // where it was loaded from, for messages
}

// Names lists every namespace, sorted.
func (m *Model) Names() []string {
	var out []string
	if m == nil {
		return out
	}
	if m.OPL != nil {
		for _, n := range m.OPL.Namespaces {
			out = append(out, n.Name)
		}
	}
	for n := range m.Legacy {
		if m.OPL.Namespace(n) == nil {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// validate checks that namespace exists and, for OPL namespaces that declare
// relations, that relation is one of its relations or permits. relation ""
// skips that part.
func (m *Model) validate(namespace, relation string) error {
	if m == nil || (m.OPL == nil && len(m.Legacy) == 0) {
		return fmt.Errorf("%w: no namespaces are configured (set permission.namespaces.location)", ErrUnknownNamespace)
	}
	ns := m.OPL.Namespace(namespace)
	if ns == nil {
		if m.Legacy[namespace] {
			return nil
		}
		return fmt.Errorf("%w %q", ErrUnknownNamespace, namespace)
	}
	// A class that declares no relations is open, as a legacy namespace is.
	if relation != "" && len(ns.Relations) > 0 && ns.Relation(relation) == nil {
		return fmt.Errorf("%w: namespace %q has no relation or permit %q", ErrUnknownRelation, namespace, relation)
	}
	return nil
}

// ReadLocation reads OPL source from a file:// URL (a file, or a folder whose
// *.ts files are read in name order), a base64:// URL, or a plain path.
func ReadLocation(location string) (string, error) {
	switch {
	case strings.HasPrefix(location, "base64://"):
		b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(location, "base64://"))
		if err != nil {
			b, err = base64.RawURLEncoding.DecodeString(strings.TrimPrefix(location, "base64://"))
		}
		if err != nil {
			return "", fmt.Errorf("%s: not valid base64: %v", location, err)
		}
		return string(b), nil
	case strings.HasPrefix(location, "file://"):
		path, err := filePath(location)
		if err != nil {
			return "", err
		}
		return readPath(path)
	case strings.Contains(location, "://"):
		return "", fmt.Errorf("%s: only file:// and base64:// locations are supported", location)
	}
	return readPath(location)
}

func filePath(location string) (string, error) {
	u, err := url.Parse(location)
	if err != nil {
		return "", fmt.Errorf("%s: %v", location, err)
	}
	if u.Host != "" && u.Host != "localhost" {
		return u.Host + u.Path, nil // file://./relative
	}
	return u.Path, nil
}

func readPath(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if !st.IsDir() {
		b, err := os.ReadFile(path)
		return string(b), err
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".ts") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(path, e.Name()))
		if err != nil {
			return "", err
		}
		b.Write(src)
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// LoadModel reads and parses the OPL at location. Parse errors come back as
// opl.Errors, naming line and column.
func LoadModel(location string) (*Model, error) {
	src, err := ReadLocation(location)
	if err != nil {
		return nil, err
	}
	m, err := opl.Parse(src)
	if err != nil {
		var errs opl.Errors
		if errors.As(err, &errs) {
			return nil, fmt.Errorf("%s: %w", location, errs)
		}
		return nil, err
	}
	return &Model{OPL: m, Source: location}, nil
}

package courier

import (
	"bytes"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	texttemplate "text/template"
)

// TemplateType names an email template, as Kratos does.
type TemplateType string

// The template types with built-in texts.
const (
	TemplateRecoveryValid           TemplateType = "recovery_valid"
	TemplateRecoveryInvalid         TemplateType = "recovery_invalid"
	TemplateRecoveryCodeValid       TemplateType = "recovery_code_valid"
	TemplateRecoveryCodeInvalid     TemplateType = "recovery_code_invalid"
	TemplateVerificationValid       TemplateType = "verification_valid"
	TemplateVerificationInvalid     TemplateType = "verification_invalid"
	TemplateVerificationCodeValid   TemplateType = "verification_code_valid"
	TemplateVerificationCodeInvalid TemplateType = "verification_code_invalid"
	TemplateLoginCodeValid          TemplateType = "login_code_valid"
	TemplateRegistrationCodeValid   TemplateType = "registration_code_valid"
)

// The file names of a template's parts, in Kratos's layout.
const (
	templateFileSubject   = "email.subject.gotmpl"
	templateFileHTML      = "email.body.gotmpl"
	templateFilePlaintext = "email.body.plaintext.gotmpl"
)

// maxTemplateBytes bounds one template file.
const maxTemplateBytes = 1 << 20

// TemplateTypes lists every template type, in a stable order.
var TemplateTypes = []TemplateType{
	TemplateRecoveryValid, TemplateRecoveryInvalid,
	TemplateRecoveryCodeValid, TemplateRecoveryCodeInvalid,
	TemplateVerificationValid, TemplateVerificationInvalid,
	TemplateVerificationCodeValid, TemplateVerificationCodeInvalid,
	TemplateLoginCodeValid, TemplateRegistrationCodeValid,
}

// Dir is the type's folder in Kratos's layout: recovery_code_valid is
// "recovery_code/valid".
func (t TemplateType) Dir() string {
	s := string(t)
	i := strings.LastIndex(s, "_")
	if i < 0 {
		return s
	}
	return s[:i] + "/" + s[i+1:]
}

// TemplateData is what templates see. Which fields are set depends on the
// template type: a recovery link sets RecoveryURL, a login code LoginCode,
// and so on. Identity is the identity's JSON as a map (traits under
// "traits"); TransientPayload is what the flow's caller passed along.
type TemplateData struct {
	To               string
	RecoveryURL      string
	RecoveryCode     string
	VerificationURL  string
	VerificationCode string
	LoginCode        string
	RegistrationCode string
	Identity         map[string]any
	ExpiresInMinutes int
	RequestURL       string
	TransientPayload map[string]any
}

// TemplateSource overrides the parts of one template with URLs:
// file:///path/to/file or base64://<standard or URL-safe base64>. An empty
// URL leaves that part alone.
type TemplateSource struct {
	Subject   string
	HTML      string
	Plaintext string
}

// TemplateOptions say where templates come from. For each part of each
// type the first of these that exists wins: the URL in Sources, the file
// in OverridePath (OverridePath/recovery/valid/email.subject.gotmpl, as
// Kratos lays them out, or OverridePath/recovery_valid/...), the built-in
// text.
type TemplateOptions struct {
	OverridePath string
	Sources      map[TemplateType]TemplateSource
}

// Templates are the parsed templates of every type.
type Templates struct {
	byType map[TemplateType]emailTemplate
}

type emailTemplate struct {
	subject   *texttemplate.Template
	plaintext *texttemplate.Template
	html      *htmltemplate.Template
}

// Rendered is a rendered email: a one-line subject and both bodies.
type Rendered struct {
	Subject   string
	Plaintext string
	HTML      string
}

//go:embed templates
var embedded embed.FS

// LoadTemplates parses every template type's three parts. An unreadable
// file, an unsupported URL or a template that does not parse is an error
// naming the type and part.
func LoadTemplates(o TemplateOptions) (*Templates, error) {
	for t := range o.Sources {
		if !knownTemplate(t) {
			return nil, fmt.Errorf("courier templates: unknown template type %q", t)
		}
	}
	ts := &Templates{byType: map[TemplateType]emailTemplate{}}
	for _, t := range TemplateTypes {
		src := o.Sources[t]
		var et emailTemplate
		subject, err := loadPart(o.OverridePath, t, templateFileSubject, src.Subject)
		if err == nil {
			et.subject, err = subject.parseText()
		}
		if err != nil {
			return nil, fmt.Errorf("courier template %s subject: %w", t, err)
		}
		plain, err := loadPart(o.OverridePath, t, templateFilePlaintext, src.Plaintext)
		if err == nil {
			et.plaintext, err = plain.parseText()
		}
		if err != nil {
			return nil, fmt.Errorf("courier template %s plain-text body: %w", t, err)
		}
		html, err := loadPart(o.OverridePath, t, templateFileHTML, src.HTML)
		if err == nil {
			et.html, err = html.parseHTML()
		}
		if err != nil {
			return nil, fmt.Errorf("courier template %s HTML body: %w", t, err)
		}
		ts.byType[t] = et
	}
	return ts, nil
}

func knownTemplate(t TemplateType) bool {
	for _, k := range TemplateTypes {
		if k == t {
			return true
		}
	}
	return false
}

// Render renders the template t with data. An unknown type is ErrInvalid.
func (ts *Templates) Render(t TemplateType, data TemplateData) (Rendered, error) {
	et, ok := ts.byType[t]
	if !ok {
		return Rendered{}, invalid("template_type", "%q is not a known template type.", t)
	}
	var r Rendered
	var b bytes.Buffer
	if err := et.subject.Execute(&b, data); err != nil {
		return Rendered{}, fmt.Errorf("render %s subject: %w", t, err)
	}
	r.Subject = oneLine(b.String())
	b.Reset()
	if err := et.plaintext.Execute(&b, data); err != nil {
		return Rendered{}, fmt.Errorf("render %s plain-text body: %w", t, err)
	}
	r.Plaintext = b.String()
	b.Reset()
	if err := et.html.Execute(&b, data); err != nil {
		return Rendered{}, fmt.Errorf("render %s HTML body: %w", t, err)
	}
	r.HTML = b.String()
	return r, nil
}

// oneLine folds every run of white space, line breaks included, into one
// space: a subject is a single header line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// part is the source text of one template part, with the extra files
// (partials, e.g. per-language {{define}} blocks) found beside it.
type part struct {
	name     string // for messages and as the template's name
	text     string
	partials map[string]string // file name -> text
}

// loadPart finds one part of one template type.
func loadPart(overrideDir string, t TemplateType, file, sourceURL string) (part, error) {
	if sourceURL != "" {
		text, err := readURL(sourceURL)
		if err != nil {
			return part{}, err
		}
		return part{name: file, text: text}, nil
	}
	if overrideDir != "" {
		for _, dir := range []string{filepath.Join(overrideDir, filepath.FromSlash(t.Dir())), filepath.Join(overrideDir, string(t))} {
			p, ok, err := readOverride(dir, file)
			if err != nil || ok {
				return p, err
			}
		}
	}
	b, err := fs.ReadFile(embedded, path.Join("templates", t.Dir(), file))
	if err != nil {
		return part{}, err
	}
	return part{name: file, text: string(b)}, nil
}

// readOverride reads dir/file and, beside it, the files whose names extend
// the part's ("email.body.de.gotmpl" beside "email.body.gotmpl"); the
// plain-text files are kept out of the HTML part's set.
func readOverride(dir, file string) (part, bool, error) {
	main := filepath.Join(dir, file)
	text, err := readFile(main)
	if errors.Is(err, fs.ErrNotExist) {
		return part{}, false, nil
	}
	if err != nil {
		return part{}, false, err
	}
	p := part{name: file, text: text, partials: map[string]string{}}
	stem := strings.TrimSuffix(file, ".gotmpl")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return part{}, false, err
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || n == file || !strings.HasPrefix(n, stem+".") {
			continue
		}
		if file == templateFileHTML && strings.HasPrefix(n, strings.TrimSuffix(templateFilePlaintext, ".gotmpl")) {
			continue
		}
		s, err := readFile(filepath.Join(dir, n))
		if err != nil {
			return part{}, false, err
		}
		p.partials[n] = s
	}
	return p, true, nil
}

func readFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(io.LimitReader(f, maxTemplateBytes+1)); err != nil {
		return "", err
	}
	if b.Len() > maxTemplateBytes {
		return "", fmt.Errorf("%s is larger than %d bytes", name, maxTemplateBytes)
	}
	return b.String(), nil
}

// readURL reads a template given as file:// or base64:// URL.
func readURL(raw string) (string, error) {
	if rest, ok := strings.CutPrefix(raw, "base64://"); ok {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(rest); err == nil {
				return string(b), nil
			}
		}
		return "", errors.New("the base64:// URL does not hold base64")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL", raw)
	}
	switch u.Scheme {
	case "file":
		p := u.Path
		if u.Host != "" && u.Host != "localhost" {
			// file://relative/path: the host is the first path segment.
			p = u.Host + u.Path
		}
		if p == "" {
			p = u.Opaque
		}
		return readFile(filepath.FromSlash(p))
	}
	return "", fmt.Errorf("%q: only file:// and base64:// template URLs are supported", raw)
}

func (p part) partialNames() []string {
	names := make([]string, 0, len(p.partials))
	for n := range p.partials {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (p part) parseText() (*texttemplate.Template, error) {
	t, err := texttemplate.New(p.name).Parse(p.text)
	if err != nil {
		return nil, err
	}
	for _, n := range p.partialNames() {
		if _, err := t.New(n).Parse(p.partials[n]); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func (p part) parseHTML() (*htmltemplate.Template, error) {
	t, err := htmltemplate.New(p.name).Parse(p.text)
	if err != nil {
		return nil, err
	}
	for _, n := range p.partialNames() {
		if _, err := t.New(n).Parse(p.partials[n]); err != nil {
			return nil, err
		}
	}
	return t, nil
}

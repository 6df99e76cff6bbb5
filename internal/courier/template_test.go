package courier_test

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warden-iam/warden/internal/courier"
)

func loadTemplates(t *testing.T, o courier.TemplateOptions) *courier.Templates {
	t.Helper()
	ts, err := courier.LoadTemplates(o)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBuiltInTemplates: every type renders a one-line subject and both
// bodies carrying the link or code it is about.
func TestBuiltInTemplates(t *testing.T) {
	ts := loadTemplates(t, courier.TemplateOptions{})
	data := courier.TemplateData{
		To:               "ann@example.com",
		RecoveryURL:      "https://auth.example.org/recovery?token=R1",
		RecoveryCode:     "111111",
		VerificationURL:  "https://auth.example.org/verification?token=V1",
		VerificationCode: "222222",
		LoginCode:        "333333",
		RegistrationCode: "444444",
		ExpiresInMinutes: 60,
	}
	want := map[courier.TemplateType]string{
		courier.TemplateRecoveryValid:           data.RecoveryURL,
		courier.TemplateRecoveryInvalid:         data.To,
		courier.TemplateRecoveryCodeValid:       data.RecoveryCode,
		courier.TemplateRecoveryCodeInvalid:     data.To,
		courier.TemplateVerificationValid:       data.VerificationURL,
		courier.TemplateVerificationInvalid:     data.To,
		courier.TemplateVerificationCodeValid:   data.VerificationCode,
		courier.TemplateVerificationCodeInvalid: data.To,
		courier.TemplateLoginCodeValid:          data.LoginCode,
		courier.TemplateRegistrationCodeValid:   data.RegistrationCode,
	}
	if len(want) != len(courier.TemplateTypes) {
		t.Fatalf("%d types, %d checked", len(courier.TemplateTypes), len(want))
	}
	for _, tt := range courier.TemplateTypes {
		r, err := ts.Render(tt, data)
		if err != nil {
			t.Fatalf("%s: %v", tt, err)
		}
		if r.Subject == "" || strings.ContainsAny(r.Subject, "\r\n") {
			t.Errorf("%s: subject %q", tt, r.Subject)
		}
		for part, body := range map[string]string{"plain text": r.Plaintext, "HTML": r.HTML} {
			if !strings.Contains(body, want[tt]) {
				t.Errorf("%s %s body lacks %q:\n%s", tt, part, want[tt], body)
			}
			if strings.Contains(body, "<no value>") {
				t.Errorf("%s %s body renders a missing value", tt, part)
			}
		}
	}
	if _, err := ts.Render("stub", data); !errors.Is(err, courier.ErrInvalid) {
		t.Fatalf("unknown type: %v", err)
	}
}

// TestHTMLIsEscaped: data cannot add markup to the HTML body.
func TestHTMLIsEscaped(t *testing.T) {
	ts := loadTemplates(t, courier.TemplateOptions{})
	r, err := ts.Render(courier.TemplateLoginCodeValid, courier.TemplateData{To: "a@b.c", LoginCode: `<script>alert(1)</script>`})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, "<script>") || !strings.Contains(r.HTML, "&lt;script&gt;") {
		t.Fatalf("HTML:\n%s", r.HTML)
	}
	if !strings.Contains(r.Plaintext, "<script>") {
		t.Fatal("the plain-text body is not HTML and must not be escaped")
	}
}

// TestTemplateOverridePath: files in Kratos's layout (kind/variant) or per
// type replace the built-in parts one by one, and may bring partials.
func TestTemplateOverridePath(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "recovery_code", "valid", "email.subject.gotmpl"), "Code for {{ .Identity.traits.name }}\n")
	writeFile(t, filepath.Join(dir, "recovery_code", "valid", "email.body.gotmpl"),
		`{{ if eq (index .TransientPayload "lang") "de" }}{{ template "email.body.de.gotmpl" . }}{{ else }}<b>{{ .RecoveryCode }}</b>{{ end }}`)
	writeFile(t, filepath.Join(dir, "recovery_code", "valid", "email.body.de.gotmpl"), `<i>Ihr Code: {{ .RecoveryCode }}</i>`)
	writeFile(t, filepath.Join(dir, "login_code_valid", "email.body.plaintext.gotmpl"), "login {{ .LoginCode }}")
	ts := loadTemplates(t, courier.TemplateOptions{OverridePath: dir})

	data := courier.TemplateData{To: "ann@example.com", RecoveryCode: "777", Identity: map[string]any{"traits": map[string]any{"name": "Ann"}},
		TransientPayload: map[string]any{"lang": "de"}}
	r, err := ts.Render(courier.TemplateRecoveryCodeValid, data)
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "Code for Ann" || r.HTML != "<i>Ihr Code: 777</i>" || !strings.Contains(r.Plaintext, "777") || strings.Contains(r.Plaintext, "<i>") {
		t.Fatalf("rendered %+v", r)
	}
	data.TransientPayload = map[string]any{"lang": "en"}
	if r, _ := ts.Render(courier.TemplateRecoveryCodeValid, data); r.HTML != "<b>777</b>" {
		t.Fatalf("HTML %q", r.HTML)
	}
	r, err = ts.Render(courier.TemplateLoginCodeValid, courier.TemplateData{LoginCode: "9"})
	if err != nil || r.Plaintext != "login 9" || r.Subject != "Your sign-in code" || !strings.Contains(r.HTML, "9") {
		t.Fatalf("login code %+v %v", r, err)
	}
}

// TestTemplateSourcesWin: base64:// and file:// URLs from the configuration
// take precedence over the override folder.
func TestTemplateSourcesWin(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "verification", "valid", "email.subject.gotmpl"), "from the folder")
	writeFile(t, filepath.Join(dir, "verification", "valid", "email.body.plaintext.gotmpl"), "folder body {{ .VerificationURL }}")
	file := filepath.Join(t.TempDir(), "html.gotmpl")
	writeFile(t, file, `<a href="{{ .VerificationURL }}">confirm</a>`)
	ts := loadTemplates(t, courier.TemplateOptions{OverridePath: dir, Sources: map[courier.TemplateType]courier.TemplateSource{
		courier.TemplateVerificationValid: {
			Subject: "base64://" + base64.StdEncoding.EncodeToString([]byte("Bitte {{ .To }} bestätigen")),
			HTML:    "file://" + filepath.ToSlash(file),
		},
	}})
	r, err := ts.Render(courier.TemplateVerificationValid, courier.TemplateData{To: "ann@example.com", VerificationURL: "https://x.example/v?a=1&b=2"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "Bitte ann@example.com bestätigen" || r.Plaintext != "folder body https://x.example/v?a=1&b=2" ||
		r.HTML != `<a href="https://x.example/v?a=1&amp;b=2">confirm</a>` {
		t.Fatalf("rendered %+v", r)
	}
}

func TestTemplateErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "recovery", "invalid", "email.body.gotmpl"), "{{ .To ")
	for name, o := range map[string]courier.TemplateOptions{
		"syntax":       {OverridePath: dir},
		"https":        {Sources: map[courier.TemplateType]courier.TemplateSource{courier.TemplateLoginCodeValid: {Subject: "https://example.org/s.gotmpl"}}},
		"missing file": {Sources: map[courier.TemplateType]courier.TemplateSource{courier.TemplateLoginCodeValid: {Subject: "file:///nonexistent/s.gotmpl"}}},
		"bad base64":   {Sources: map[courier.TemplateType]courier.TemplateSource{courier.TemplateLoginCodeValid: {Subject: "base64://%%%"}}},
		"unknown type": {Sources: map[courier.TemplateType]courier.TemplateSource{"stub": {Subject: "base64://eA=="}}},
		"unknown func": {Sources: map[courier.TemplateType]courier.TemplateSource{courier.TemplateLoginCodeValid: {Plaintext: "base64://" + base64.StdEncoding.EncodeToString([]byte("{{ nosuchfunc }}"))}}},
	} {
		if _, err := courier.LoadTemplates(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	_, err := courier.LoadTemplates(courier.TemplateOptions{OverridePath: dir})
	if err == nil || !strings.Contains(err.Error(), "recovery_invalid HTML body") {
		t.Fatalf("error does not name the template: %v", err)
	}
}

package ui

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/warden-iam/warden/internal/flow"
)

func TestLanguage(t *testing.T) {
	for h, want := range map[string]string{"": "en", "de-DE,de;q=0.9": "de", "fr, de;q=0.5": "de", "fr": "en", "en-GB": "en"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Language", h)
		if got := langOf(r); got != want {
			t.Errorf("Accept-Language %q: %s, want %s", h, got, want)
		}
	}
	if got := translateText("de", flow.Text{ID: 4000002, Text: "Property x is missing.", Context: map[string]any{"property": "email"}}); got != "Das Feld email fehlt." {
		t.Errorf("context not filled: %q", got)
	}
	if got := translateText("de", flow.Text{ID: 999, Text: "untranslated"}); got != "untranslated" {
		t.Errorf("fallback: %q", got)
	}
	for key := range pageText["en"] {
		if _, ok := pageText["de"][key]; !ok {
			t.Errorf("no German for %s", key)
		}
	}
}

// Nodes become forms: settings gets one form per group, each with the
// hidden CSRF input; other flows one form in group order.
func TestViewOf(t *testing.T) {
	lbl := &flow.Text{ID: 1070001, Text: "Password", Type: "info"}
	f := &flow.Flow{UI: flow.Container{Action: "/self-service/settings?flow=x", Nodes: []flow.Node{
		flow.Input("default", "csrf_token", "hidden", "tok", nil),
		flow.Input("password", "password", "password", nil, lbl),
		flow.Input("password", "method", "submit", "password", &flow.Text{ID: 1070003, Text: "Save"}),
		flow.Input("profile", "traits.email", "email", "a@b.c", &flow.Text{ID: 1070002, Text: "E-Mail"}),
		flow.Input("profile", "method", "submit", "profile", &flow.Text{ID: 1070003, Text: "Save"}),
	}}}
	f.UI.Nodes[1].Messages = []flow.Text{{ID: 4000032, Text: "too short", Type: "error", Context: map[string]any{"min_length": 8}}}
	v := viewOf("de", flow.KindSettings, f)
	if len(v.Forms) != 2 || v.Forms[0].Group != "profile" || v.Forms[1].Group != "password" {
		t.Fatalf("forms %+v", v.Forms)
	}
	for _, fm := range v.Forms {
		if fm.Nodes[0].Kind != "hidden" || fm.Nodes[0].Value != "tok" {
			t.Fatalf("form %s lacks the CSRF input: %+v", fm.Group, fm.Nodes)
		}
	}
	pw := v.Forms[1].Nodes[1]
	if pw.Label != "Passwort" || len(pw.Messages) != 1 || !strings.Contains(pw.Messages[0], "8") {
		t.Fatalf("password node %+v", pw)
	}
	v = viewOf("en", flow.KindLogin, f)
	if len(v.Forms) != 1 || len(v.Forms[0].Nodes) != 5 || v.Forms[0].Nodes[0].Kind != "hidden" {
		t.Fatalf("login-like view %+v", v.Forms)
	}
}

func TestTemplatesParse(t *testing.T) {
	h, err := New(Options{PublicURL: func() string { return "http://x/" }}, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"flow", "error", "home", "consent", "logout", "device"} {
		if h.tmpl.Lookup(name) == nil {
			t.Errorf("template %s missing", name)
		}
	}
	if _, err := New(Options{PublicURL: func() string { return "http://x/" }, PrimaryColor: "red;}body{display:none"}, nil, nil, nil, nil); err == nil {
		t.Error("a colour that is not #hex was accepted")
	}
}

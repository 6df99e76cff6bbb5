package schema

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// load compiles testdata/<name>.schema.json.
func load(t testing.TB, name string) *Schema {
	t.Helper()
	raw := readTestdata(t, name+".schema.json")
	s, err := Compile(context.Background(), name, "", raw, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeFetch serves docs by URL and records what was asked.
type fakeFetch struct {
	docs  map[string][]byte
	calls []string
}

func (f *fakeFetch) fetch(ctx context.Context, u string) ([]byte, error) {
	if ctx == nil {
		return nil, errors.New("no context")
	}
	f.calls = append(f.calls, u)
	b, ok := f.docs[u]
	if !ok {
		return nil, fmt.Errorf("404 for %s", u)
	}
	return b, nil
}

func TestRegistryBuiltinDefault(t *testing.T) {
	ctx := context.Background()
	for _, def := range []string{"", "default"} {
		r, err := NewRegistry(ctx, nil, def, Options{})
		if err != nil {
			t.Fatal(err)
		}
		s := r.Default()
		if s.ID != DefaultID || s.URL != builtinURL || !bytes.Equal(s.Raw, builtinSchema) {
			t.Fatalf("default schema: %q %q", s.ID, s.URL)
		}
		if got, err := r.Get("default"); err != nil || got != s {
			t.Fatalf("Get(default) = %v, %v", got, err)
		}
		if l := r.List(); len(l) != 1 || l[0] != s {
			t.Fatalf("List() = %v", l)
		}
		if err := s.Validate([]byte(`{"email":"alice@example.com","name":{"first":"Alice","last":"Liddell"}}`)); err != nil {
			t.Fatal(err)
		}
		x, err := s.Extract([]byte(`{"email":"Alice@Example.com"}`))
		if err != nil {
			t.Fatal(err)
		}
		a := Address{Via: ViaEmail, Value: "alice@example.com"}
		want := Extracted{PasswordIdentifiers: []string{"alice@example.com"}, CodeIdentifiers: []Address{a},
			VerifiableAddresses: []Address{a}, RecoveryAddresses: []Address{a}}
		if fmt.Sprint(x) != fmt.Sprint(want) {
			t.Fatalf("Extract = %+v, want %+v", x, want)
		}
		for _, bad := range []string{`{}`, `{"email":"nope"}`, `{"email":"a@example.com","phone":"+4915112345678"}`, `{"email":"a@example.com","name":{"nick":"x"}}`} {
			if s.Validate([]byte(bad)) == nil {
				t.Errorf("built-in schema accepts %s", bad)
			}
		}
	}
	if _, err := NewRegistry(ctx, nil, "customer", Options{}); err == nil || !strings.Contains(err.Error(), `"customer"`) {
		t.Fatalf("default id without schemas: %v", err)
	}
}

func TestRegistrySources(t *testing.T) {
	ctx := context.Background()
	raw := readTestdata(t, "email-password.schema.json")
	abs, err := filepath.Abs(filepath.Join("testdata", "email-password.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	fetch := &fakeFetch{docs: map[string][]byte{
		"https://schemas.example.com/p.json": raw,
		"http://schemas.example.com/p.json":  raw,
	}}
	cases := map[string]struct {
		url  string
		opts Options
	}{
		"file absolute":           {url: "file://" + abs},
		"file relative to wd":     {url: "file://testdata/email-password.schema.json"},
		"file relative to base":   {url: "file://email-password.schema.json", opts: Options{BaseDir: "testdata"}},
		"file scheme upper case":  {url: "FILE://" + abs},
		"base64 standard":         {url: "base64://" + base64.StdEncoding.EncodeToString(raw)},
		"base64 standard no pad":  {url: "base64://" + base64.RawStdEncoding.EncodeToString(raw)},
		"base64 url-safe":         {url: "base64://" + base64.URLEncoding.EncodeToString(raw)},
		"base64 url-safe no pad":  {url: "base64://" + base64.RawURLEncoding.EncodeToString(raw)},
		"https through fetch":     {url: "https://schemas.example.com/p.json", opts: Options{Fetch: fetch.fetch}},
		"http through fetch":      {url: "http://schemas.example.com/p.json", opts: Options{Fetch: fetch.fetch}},
		"base64 with blank space": {url: "base64:// " + base64.StdEncoding.EncodeToString(raw) + "\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := NewRegistry(ctx, []Entry{{ID: "customer", URL: tc.url}}, "customer", tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			s, err := r.Get("customer")
			if err != nil {
				t.Fatal(err)
			}
			if s.ID != "customer" || s.URL != tc.url || !bytes.Equal(s.Raw, raw) || r.Default() != s {
				t.Fatalf("schema %q from %q: %d bytes", s.ID, s.URL, len(s.Raw))
			}
			if err := s.Validate([]byte(`{"email":"a@example.com"}`)); err != nil {
				t.Fatal(err)
			}
		})
	}
	if len(fetch.calls) != 2 {
		t.Fatalf("fetch calls: %v", fetch.calls)
	}
}

func TestRegistryErrors(t *testing.T) {
	ctx := context.Background()
	abs, _ := filepath.Abs(filepath.Join("testdata", "email-password.schema.json"))
	b64 := func(s string) string { return "base64://" + base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := map[string]struct {
		entries []Entry
		def     string
		opts    Options
		want    []string
	}{
		"unsupported scheme":  {entries: []Entry{{ID: "a", URL: "ftp://x/y.json"}}, def: "a", want: []string{`"a"`, "unsupported URL"}},
		"bare path":           {entries: []Entry{{ID: "a", URL: abs}}, def: "a", want: []string{`"a"`, "file://" + abs}},
		"empty url":           {entries: []Entry{{ID: "a"}}, def: "a", want: []string{`"a"`, "empty"}},
		"http without fetch":  {entries: []Entry{{ID: "a", URL: "https://x.example/s.json"}}, def: "a", want: []string{`"a"`, "not enabled"}},
		"fetch fails":         {entries: []Entry{{ID: "a", URL: "https://x.example/s.json"}}, def: "a", opts: Options{Fetch: (&fakeFetch{}).fetch}, want: []string{`"a"`, "404"}},
		"missing file":        {entries: []Entry{{ID: "a", URL: "file:///nonexistent/s.json"}}, def: "a", want: []string{`"a"`, "/nonexistent/s.json"}},
		"directory":           {entries: []Entry{{ID: "a", URL: "file://testdata"}}, def: "a", want: []string{`"a"`, "not a regular file"}},
		"bad base64":          {entries: []Entry{{ID: "a", URL: "base64://!!!"}}, def: "a", want: []string{`"a"`, "base64"}},
		"invalid json":        {entries: []Entry{{ID: "a", URL: b64(`{"properties":`)}}, def: "a", want: []string{`"a"`, "not valid JSON"}},
		"not an object":       {entries: []Entry{{ID: "a", URL: b64(`[1]`)}}, def: "a", want: []string{`"a"`, "not a JSON object"}},
		"no traits":           {entries: []Entry{{ID: "a", URL: b64(`{"type":"object","properties":{"email":{"type":"string"}}}`)}}, def: "a", want: []string{`"a"`, "properties.traits"}},
		"traits not object":   {entries: []Entry{{ID: "a", URL: b64(`{"properties":{"traits":{"type":"string","properties":{"a":{}}}}}`)}}, def: "a", want: []string{`"a"`, "type object"}},
		"traits no property":  {entries: []Entry{{ID: "a", URL: b64(`{"properties":{"traits":{"type":"object","properties":{}}}}`)}}, def: "a", want: []string{`"a"`, "at least one property"}},
		"invalid keyword":     {entries: []Entry{{ID: "a", URL: b64(`{"properties":{"traits":{"type":"object","properties":{"a":{"minLength":"x"}}}}}`)}}, def: "a", want: []string{`"a"`, "minLength"}},
		"bad regexp":          {entries: []Entry{{ID: "a", URL: b64(`{"properties":{"traits":{"type":"object","properties":{"a":{"pattern":"(?=x)"}}}}}`)}}, def: "a", want: []string{`"a"`, "pattern"}},
		"unknown draft":       {entries: []Entry{{ID: "a", URL: b64(`{"$schema":"https://example.com/meta","properties":{"traits":{"properties":{"a":{}}}}}`)}}, def: "a", want: []string{`"a"`, "https://example.com/meta"}},
		"duplicate id":        {entries: []Entry{{ID: "a", URL: "file://" + abs}, {ID: "a", URL: "file://" + abs}}, def: "a", want: []string{`"a"`, "more than once"}},
		"empty id":            {entries: []Entry{{ID: " ", URL: "file://" + abs}}, def: "a", want: []string{"#1", "id is empty"}},
		"default not present": {entries: []Entry{{ID: "a", URL: "file://" + abs}}, def: "b", want: []string{`"b"`, "not among"}},
		"default is default":  {entries: []Entry{{ID: "a", URL: "file://" + abs}}, want: []string{`"default"`, "not among"}},
		"every problem at once": {entries: []Entry{{ID: "a", URL: "ftp://x"}, {ID: "b", URL: b64(`[]`)}, {ID: "c", URL: "file://" + abs}},
			def: "c", want: []string{`identity schema "a"`, `identity schema "b"`}},
		"bad extension": {entries: []Entry{{ID: "ext", URL: "file://testdata/bad-extension.schema.json"}}, def: "ext",
			want: []string{`identity schema "ext": traits.email`, `unknown field "credentails"`,
				`identity schema "ext": traits.phone`, `"pigeon"`, `identity schema "ext": traits.age`, "type integer"}},
		"verification on a number format": {entries: []Entry{{ID: "a", URL: b64(`{"properties":{"traits":{"properties":{"a":{"type":"string","format":"uri","ory.sh/kratos":{"verification":{"via":"email"}}}}}}}`)}},
			def: "a", want: []string{"traits.a", `format "uri"`}},
		"bad organizations matcher": {entries: []Entry{{ID: "a", URL: b64(`{"properties":{"traits":{"properties":{"a":{"ory.sh/kratos":{"organizations":{"matcher":"x"}}}}}}}`)}},
			def: "a", want: []string{"traits.a", "matcher"}},
		"identifier not a boolean": {entries: []Entry{{ID: "a", URL: b64(`{"properties":{"traits":{"properties":{"a":{"ory.sh/kratos":{"credentials":{"password":{"identifier":"yes"}}}}}}}}`)}},
			def: "a", want: []string{"traits.a", "identifier"}},
		"too large": {entries: []Entry{{ID: "a", URL: b64(`{"x":"` + strings.Repeat("a", MaxSchemaBytes) + `"}`)}}, def: "a", want: []string{`"a"`, "larger than"}},
		"too deep":  {entries: []Entry{{ID: "a", URL: b64(strings.Repeat(`{"a":`, 200) + `1` + strings.Repeat(`}`, 200))}}, def: "a", want: []string{`"a"`, "deeper than"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := NewRegistry(ctx, tc.entries, tc.def, tc.opts)
			if err == nil {
				t.Fatalf("no error; registry %v", r.List())
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestRegistryGetAndList(t *testing.T) {
	ctx := context.Background()
	entries := []Entry{
		{ID: "zeta", URL: "file://testdata/username-email.schema.json"},
		{ID: "alpha", URL: "file://testdata/email-password.schema.json"},
		{ID: "mid", URL: "file://testdata/phone-sms.schema.json"},
	}
	r, err := NewRegistry(ctx, entries, "alpha", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range r.List() {
		ids = append(ids, s.ID)
	}
	if strings.Join(ids, ",") != "zeta,alpha,mid" {
		t.Fatalf("List order: %v", ids)
	}
	if r.Default().ID != "alpha" {
		t.Fatalf("Default() = %q", r.Default().ID)
	}
	l := r.List()
	l[0] = nil
	if r.List()[0] == nil {
		t.Fatal("List exposes the registry's slice")
	}
	_, err = r.Get("nope")
	if !errors.Is(err, ErrUnknownSchema) || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("Get(nope) = %v", err)
	}
}

func TestRemoteRefs(t *testing.T) {
	ctx := context.Background()
	remote := readTestdata(t, "remote-ref.schema.json")
	frag := []byte(`{"type":"string","format":"email","title":"Remote email","ory.sh/kratos":{"credentials":{"password":{"identifier":true}}}}`)
	fetch := &fakeFetch{docs: map[string][]byte{"https://schemas.example.com/email.json": frag}}

	t.Run("refused by default", func(t *testing.T) {
		_, err := Compile(ctx, "remote", "", remote, Options{Fetch: fetch.fetch})
		if err == nil || !strings.Contains(err.Error(), "https://schemas.example.com/email.json") ||
			!strings.Contains(err.Error(), "not allowed") || !strings.Contains(err.Error(), `"remote"`) {
			t.Fatalf("err = %v", err)
		}
		if len(fetch.calls) != 0 {
			t.Fatalf("fetched %v", fetch.calls)
		}
	})
	t.Run("allowed through fetch", func(t *testing.T) {
		s, err := Compile(ctx, "remote", "", remote, Options{Fetch: fetch.fetch, AllowRemoteRefs: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate([]byte(`{"email":"nope"}`)); err == nil {
			t.Fatal("the remote format is not applied")
		}
		x, err := s.Extract([]byte(`{"email":"A@example.com"}`))
		if err != nil || len(x.PasswordIdentifiers) != 1 || x.PasswordIdentifiers[0] != "a@example.com" {
			t.Fatalf("Extract = %+v, %v", x, err)
		}
		if f := s.Fields(); len(f) != 1 || f[0].Title != "Remote email" {
			t.Fatalf("Fields = %+v", f)
		}
	})
	t.Run("allowed without fetch", func(t *testing.T) {
		_, err := Compile(ctx, "remote", "", remote, Options{AllowRemoteRefs: true})
		if err == nil || !strings.Contains(err.Error(), "not enabled") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("relative file reference", func(t *testing.T) {
		entries := []Entry{{ID: "rel", URL: "file://testdata/relative-ref.schema.json"}}
		if _, err := NewRegistry(ctx, entries, "rel", Options{}); err == nil || !strings.Contains(err.Error(), "not allowed") {
			t.Fatalf("relative reference without AllowRemoteRefs: %v", err)
		}
		r, err := NewRegistry(ctx, entries, "rel", Options{AllowRemoteRefs: true})
		if err != nil {
			t.Fatal(err)
		}
		s := r.Default()
		if f := s.Fields(); len(f) != 1 || f[0].Title != "Email from a fragment" || !f[0].Required {
			t.Fatalf("Fields = %+v", f)
		}
		x, _ := s.Extract([]byte(`{"email":"b@example.com"}`))
		if len(x.PasswordIdentifiers) != 1 {
			t.Fatalf("Extract = %+v", x)
		}
	})
	t.Run("relative reference from bytes", func(t *testing.T) {
		_, err := Compile(ctx, "rel", "", readTestdata(t, "relative-ref.schema.json"), Options{AllowRemoteRefs: true})
		if err == nil || !strings.Contains(err.Error(), "relative reference") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("base64 reference always allowed", func(t *testing.T) {
		doc := `{"properties":{"traits":{"properties":{"email":{"$ref":"base64://` +
			base64.RawURLEncoding.EncodeToString(frag) + `"}}}}}`
		s, err := Compile(ctx, "b64", "", []byte(doc), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if s.Validate([]byte(`{"email":"nope"}`)) == nil {
			t.Fatal("the referenced format is not applied")
		}
		x, _ := s.Extract([]byte(`{"email":"c@example.com"}`))
		if len(x.PasswordIdentifiers) != 1 {
			t.Fatalf("Extract = %+v", x)
		}
	})
}

func TestDrafts(t *testing.T) {
	ctx := context.Background()
	// Beside $ref, other keywords are ignored in draft-07 and applied from
	// 2019-09 on: a schema without $schema must behave as draft-07.
	doc := func(schema string) []byte {
		return []byte(`{` + schema + `"definitions":{"s":{"type":"string"}},"properties":{"traits":{"properties":{"a":{"$ref":"#/definitions/s","maxLength":2}}}}}`)
	}
	cases := map[string]struct {
		schema  string
		applies bool
	}{
		"no $schema": {"", false},
		"draft-07":   {`"$schema":"http://json-schema.org/draft-07/schema#",`, false},
		"2019-09":    {`"$schema":"https://json-schema.org/draft/2019-09/schema",`, true},
		"2020-12":    {`"$schema":"https://json-schema.org/draft/2020-12/schema",`, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := Compile(ctx, "d", "", doc(tc.schema), Options{})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Validate([]byte(`{"a":"abcdef"}`))
			if (err != nil) != tc.applies {
				t.Fatalf("maxLength beside $ref applied = %v, want %v", err != nil, tc.applies)
			}
			if s.Validate([]byte(`{"a":1}`)) == nil {
				t.Fatal("the referenced type is not applied")
			}
		})
	}
	// Format assertions are on in every draft.
	for name, traits := range map[string]string{
		"phone-sms":      `{"phone":"12"}`,                                // 2020-12
		"emails-array":   `{"emails":["x"]}`,                              // 2019-09
		"email-password": `{"email":"xyz"}`,                               // draft-07
		"nested-name":    `{"email":"x","name":{"first":"a","last":"b"}}`, // draft-07
	} {
		if load(t, name).Validate([]byte(traits)) == nil {
			t.Errorf("%s accepts %s", name, traits)
		}
	}
}

package schema

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

var fuzzTraits = []string{
	`{"email":"alice@example.com","name":{"first":"Alice","last":"Liddell"}}`,
	`{"username":"alice","email":"A@example.com","age":30,"tags":["a","b"],"plan":"pro"}`,
	`{"emails":["a@example.com","B@example.com"],"phones":["+4915112345678"]}`,
	`{"phone":"+4915112345678"}`,
	`{}`, `[]`, `null`, `"x"`, `{"email":`, `{"a":[[[[[[]]]]]]}`, `{"email":"\u0000@x.co"}`,
}

func fuzzSchemas(f *testing.F) []*Schema {
	r, err := NewRegistry(context.Background(), nil, "", Options{})
	if err != nil {
		f.Fatal(err)
	}
	return []*Schema{r.Default(), load(f, "username-email"), load(f, "emails-array"), load(f, "phone-sms"), load(f, "nested-name")}
}

// checkResult checks what Validate and Extract say about one input.
func checkResult(t *testing.T, s *Schema, in []byte) {
	verr := s.Validate(in)
	var ve *ValidationError
	if verr != nil && !errors.As(verr, &ve) {
		t.Fatalf("Validate returned %T %v", verr, verr)
	}
	if verr != nil && len(ve.Fields)+len(ve.Global) == 0 {
		t.Fatal("empty ValidationError")
	}
	if len(in) > MaxTraitsBytes && !errors.Is(verr, ErrTraitsTooLarge) {
		t.Fatalf("oversized input: %v", verr)
	}
	x, xerr := s.Extract(in)
	if verr == nil && xerr != nil {
		t.Fatalf("Extract fails on valid traits: %v", xerr)
	}
	for _, list := range [][]string{x.PasswordIdentifiers, x.WebAuthnIdentifiers} {
		seen := map[string]bool{}
		for _, id := range list {
			if id == "" || id != NormalizeIdentifier(id) || seen[id] {
				t.Fatalf("identifier %q in %q", id, list)
			}
			seen[id] = true
		}
	}
	for _, list := range [][]Address{x.CodeIdentifiers, x.VerifiableAddresses, x.RecoveryAddresses} {
		seen := map[Address]bool{}
		for _, a := range list {
			if a.Value == "" || seen[a] || a.Via != ViaEmail && a.Via != ViaSMS {
				t.Fatalf("address %+v in %+v", a, list)
			}
			seen[a] = true
		}
	}
}

func FuzzValidate(f *testing.F) {
	for _, s := range fuzzTraits {
		f.Add([]byte(s))
	}
	schemas := fuzzSchemas(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, s := range schemas {
			checkResult(t, s, in)
		}
	})
}

func FuzzExtract(f *testing.F) {
	for _, s := range fuzzTraits {
		f.Add([]byte(s))
	}
	schemas := fuzzSchemas(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, s := range schemas {
			if _, err := s.Extract(in); err != nil {
				var ve *ValidationError
				if !errors.As(err, &ve) || len(ve.Global) != 1 {
					t.Fatalf("Extract returned %T %v", err, err)
				}
			}
			checkResult(t, s, in)
		}
	})
}

func FuzzLoadSchema(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(builtinSchema)
	f.Add([]byte(`{"properties":{"traits":{"properties":{"a":{"$ref":"#"}}}}}`))
	f.Add([]byte(`{"properties":{"traits":{"$ref":"#/definitions/t"}},"definitions":{"t":{"properties":{"a":{"items":{"$ref":"#/definitions/t"}}}}}}`))
	f.Add([]byte(`{"type":"string","ory.sh/kratos":{"credentials":{"code":{"identifier":true}},"recovery":{}}}`))
	f.Add([]byte(`{"type":"array","items":{"format":"tel"},"ory.sh/kratos":{"verification":{"via":"sms"}}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		// raw as a whole schema, and as the schema of one trait property
		wrapped := append(append([]byte(`{"properties":{"traits":{"properties":{"a":`), raw...), `}}}}`...)
		for _, doc := range [][]byte{raw, wrapped} {
			s, err := Compile(context.Background(), "fuzz", "", doc, Options{})
			if err != nil {
				if s != nil {
					t.Fatal("schema and error")
				}
				continue
			}
			_ = s.Fields()
			for _, in := range fuzzTraits[:5] {
				checkResult(t, s, []byte(in))
			}
			for _, in := range []string{`{"a":"A@Example.com"}`, `{"a":["+4915112345678","x"]}`, `{"a":{"b":"c"}}`} {
				checkResult(t, s, []byte(in))
			}
		}
	})
}

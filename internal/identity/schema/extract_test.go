package schema

import (
	"context"
	"reflect"
	"testing"
)

func TestExtract(t *testing.T) {
	email := func(v string) Address { return Address{Via: ViaEmail, Value: v} }
	sms := func(v string) Address { return Address{Via: ViaSMS, Value: v} }
	cases := []struct {
		name, schema, traits string
		want                 Extracted
	}{
		{
			name: "email is identifier and address, normalised", schema: "email-password",
			traits: `{"email":"  Alice@Example.COM ","name":{"first":"Alice"}}`,
			want: Extracted{PasswordIdentifiers: []string{"alice@example.com"},
				VerifiableAddresses: []Address{email("alice@example.com")}, RecoveryAddresses: []Address{email("alice@example.com")}},
		},
		{
			name: "nothing marked present", schema: "email-password", traits: `{"name":{"first":"Alice"}}`,
		},
		{
			name: "username and email", schema: "username-email",
			traits: `{"username":" Alice_1 ","email":"Alice@Example.com","age":30}`,
			want: Extracted{
				PasswordIdentifiers: []string{"alice_1"}, WebAuthnIdentifiers: []string{"alice_1"},
				CodeIdentifiers:     []Address{email("alice@example.com")},
				VerifiableAddresses: []Address{email("alice@example.com")}, RecoveryAddresses: []Address{email("alice@example.com")},
				TOTPAccountName: "Alice_1", PasskeyDisplayName: "Alice_1",
			},
		},
		{
			name: "phone via sms, recovery channel inferred from tel", schema: "phone-sms",
			traits: `{"phone":" +4915112345678 ","email":"x@example.com"}`,
			want: Extracted{CodeIdentifiers: []Address{sms("+4915112345678")},
				VerifiableAddresses: []Address{sms("+4915112345678")}, RecoveryAddresses: []Address{sms("+4915112345678")}},
		},
		{
			name: "local $ref, code channel inferred from email format", schema: "nested-name",
			traits: `{"email":"B@Example.com","name":{"first":"B","last":"C"}}`,
			want: Extracted{PasswordIdentifiers: []string{"b@example.com"}, CodeIdentifiers: []Address{email("b@example.com")},
				VerifiableAddresses: []Address{email("b@example.com")}},
		},
		{
			name: "arrays: items and array property, deduplicated case-insensitively", schema: "emails-array",
			traits: `{"emails":["A@x.example","b@x.example","a@X.example",""," ",7,null],"phones":["+4915112345678","+4915112345678","+4915112345679"]}`,
			want: Extracted{
				PasswordIdentifiers: []string{"a@x.example", "b@x.example"},
				CodeIdentifiers:     []Address{sms("+4915112345678"), sms("+4915112345679")},
				VerifiableAddresses: []Address{email("a@x.example"), email("b@x.example")},
				RecoveryAddresses:   []Address{email("a@x.example"), email("b@x.example")},
			},
		},
		{
			name: "values of the wrong type are skipped", schema: "username-email",
			traits: `{"username":{"a":"b"},"email":["c@example.com"]}`,
		},
		{
			name: "built-in default", schema: "",
			traits: `{"email":"Carol@Example.com"}`,
			want: Extracted{PasswordIdentifiers: []string{"carol@example.com"}, CodeIdentifiers: []Address{email("carol@example.com")},
				VerifiableAddresses: []Address{email("carol@example.com")}, RecoveryAddresses: []Address{email("carol@example.com")}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var s *Schema
			if tc.schema == "" {
				r, err := NewRegistry(context.Background(), nil, "", Options{})
				if err != nil {
					t.Fatal(err)
				}
				s = r.Default()
			} else {
				s = load(t, tc.schema)
			}
			got, err := s.Extract([]byte(tc.traits))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// Marks on the same property from several places (allOf, $ref, the
// property itself) add up; the first channel given wins.
func TestExtractMergedMarks(t *testing.T) {
	doc := `{"definitions":{"id":{"ory.sh/kratos":{"credentials":{"webauthn":{"identifier":true}}}}},
	"properties":{"traits":{"properties":{
		"login":{"type":"string","$ref":"#/definitions/id",
			"ory.sh/kratos":{"credentials":{"password":{"identifier":true}}},
			"allOf":[{"ory.sh/kratos":{"recovery":{"via":"sms"}}},{"ory.sh/kratos":{"recovery":{"via":"email"}}}]}}}}}`
	s, err := Compile(context.Background(), "m", "", []byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Extract([]byte(`{"login":"+4915112345678"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Extracted{PasswordIdentifiers: []string{"+4915112345678"}, WebAuthnIdentifiers: []string{"+4915112345678"},
		RecoveryAddresses: []Address{{Via: ViaSMS, Value: "+4915112345678"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
}

// A recursive schema is walked once through its recursion and still
// validates at any depth.
func TestRecursiveSchema(t *testing.T) {
	doc := `{"definitions":{"node":{"type":"object","properties":{
		"label":{"type":"string","ory.sh/kratos":{"credentials":{"password":{"identifier":true}}}},
		"child":{"$ref":"#/definitions/node"}}}},
	"properties":{"traits":{"properties":{"tree":{"$ref":"#/definitions/node"}}}}}`
	s, err := Compile(context.Background(), "r", "", []byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate([]byte(`{"tree":{"label":"a","child":{"label":"b","child":{"label":1}}}}`)); err == nil {
		t.Fatal("deep violation accepted")
	}
	got, err := s.Extract([]byte(`{"tree":{"label":"A","child":{"label":"b"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.PasswordIdentifiers, []string{"a"}) {
		t.Fatalf("got %+v", got)
	}
	if f := s.Fields(); len(f) != 1 || f[0].Name != "traits.tree.label" {
		t.Fatalf("fields %+v", f)
	}
}

func TestNormalizeIdentifier(t *testing.T) {
	for in, want := range map[string]string{
		" Alice@Example.COM\t": "alice@example.com",
		"ÄRGER":                "ärger",
		"+4915112345678":       "+4915112345678",
		"":                     "",
	} {
		if got := NormalizeIdentifier(in); got != want {
			t.Errorf("NormalizeIdentifier(%q) = %q, want %q", in, got, want)
		}
	}
}

package schema

import (
	"context"
	"reflect"
	"testing"
)

func TestFields(t *testing.T) {
	cases := map[string][]Field{
		"email-password": {
			{Name: "traits.email", Type: "email", Format: "email", Required: true, Title: "E-Mail", Autocomplete: "email", MaxLength: 100},
			{Name: "traits.name.first", Type: "text", Title: "First Name"},
			{Name: "traits.name.last", Type: "text", Title: "Last Name"},
		},
		// schema order, not alphabetical; every input type
		"username-email": {
			{Name: "traits.username", Type: "text", Required: true, Title: "Username", Autocomplete: "username", Pattern: "^[a-z0-9_]+$", MaxLength: 32},
			{Name: "traits.email", Type: "email", Format: "email", Required: true, Title: "Email", Autocomplete: "email"},
			{Name: "traits.age", Type: "number", Title: "Age"},
			{Name: "traits.score", Type: "number"},
			{Name: "traits.plan", Type: "text", Title: "Plan", Options: []any{"free", "pro"}},
			{Name: "traits.tos", Type: "checkbox", Title: "Accept terms"},
			{Name: "traits.newsletter", Type: "checkbox"},
			{Name: "traits.website", Type: "url", Format: "uri", Autocomplete: "url"},
			{Name: "traits.birthday", Type: "date", Format: "date"},
			{Name: "traits.tags", Type: "text", Multiple: true},
		},
		"phone-sms": {
			{Name: "traits.phone", Type: "tel", Format: "tel", Required: true, Title: "Phone number", Autocomplete: "tel"},
			{Name: "traits.email", Type: "email", Format: "email", Autocomplete: "email"},
		},
		// $ref targets, nested objects; a required property of an optional
		// object is not required
		"nested-name": {
			{Name: "traits.name.first", Type: "text", Required: true, Title: "Given name"},
			{Name: "traits.name.middle", Type: "text"},
			{Name: "traits.name.last", Type: "text", Required: true, Title: "Family name"},
			{Name: "traits.email", Type: "email", Format: "email", Required: true, Title: "Email address", Autocomplete: "email"},
			{Name: "traits.address.street", Type: "text"},
			{Name: "traits.address.geo.lat", Type: "number"},
			{Name: "traits.address.geo.lng", Type: "number"},
		},
		"emails-array": {
			{Name: "traits.emails", Type: "email", Format: "email", Required: true, Title: "Email addresses", Autocomplete: "email", Multiple: true},
			{Name: "traits.phones", Type: "tel", Format: "tel", Autocomplete: "tel", Multiple: true},
		},
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			s := load(t, name)
			if got := s.Fields(); !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestFieldsDetails(t *testing.T) {
	doc := `{"$schema":"https://json-schema.org/draft/2020-12/schema","properties":{"traits":{"type":"object","properties":{
		"z":{"type":["string","null"],"format":"date-time"},
		"a":{"type":"string","ory.sh/kratos":{"credentials":{"webauthn":{"identifier":true}}}},
		"m":{"type":"integer","enum":[1,2,{"k":true}]},
		"cond":{"type":"string"}},
		"anyOf":[{"required":["cond"]},{"required":["z"]}],
		"required":["a"]}}}`
	s, err := Compile(context.Background(), "d", "", []byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := s.Fields()
	want := []Field{
		{Name: "traits.z", Type: "datetime-local", Format: "date-time"},
		{Name: "traits.a", Type: "text", Required: true, Autocomplete: "username"},
		{Name: "traits.m", Type: "number", Options: got[2].Options},
		{Name: "traits.cond", Type: "text"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if o := got[2].Options; len(o) != 3 || o[0].(interface{ String() string }).String() != "1" ||
		!reflect.DeepEqual(o[2], map[string]any{"k": true}) {
		t.Fatalf("options %#v", o)
	}
	// Fields returns a copy.
	got[0].Name = "changed"
	got[2].Options[0] = "changed"
	again := s.Fields()
	if again[0].Name != "traits.z" || again[2].Options[0] == "changed" {
		t.Fatal("Fields exposes the schema's state")
	}
}

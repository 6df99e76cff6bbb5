package schema

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// ids summarises a validation error as "field=id,id" entries in field order
// ("" for global messages).
func ids(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("not a *ValidationError: %T %v", err, err)
	}
	var out []string
	add := func(name string, ms []Message) {
		var parts []string
		for _, m := range ms {
			if m.Type != "error" || m.Text == "" {
				t.Errorf("message %+v", m)
			}
			parts = append(parts, fmt.Sprint(m.ID))
		}
		out = append(out, name+"="+strings.Join(parts, ","))
	}
	if len(ve.Global) > 0 {
		add("", ve.Global)
	}
	for _, f := range ve.Fields {
		add(f.Name, f.Messages)
	}
	return out
}

func TestValidate(t *testing.T) {
	cases := []struct {
		schema, traits string
		want           []string
	}{
		// email + password
		{"email-password", `{"email":"alice@example.com"}`, nil},
		{"email-password", `{"email":"alice@example.com","name":{"first":"A","last":"L"}}`, nil},
		{"email-password", `{}`, []string{"traits.email=4000002"}},
		{"email-password", `{"email":"a@"}`, []string{"traits.email=4000001"}},
		{"email-password", `{"email":"a@` + strings.Repeat("b.", 50) + `co"}`, []string{"traits.email=4000017"}},
		{"email-password", `{"email":1}`, []string{"traits.email=4000026"}},
		{"email-password", `{"email":"a@b.co","x":1}`, []string{"traits=4000001"}},
		{"email-password", `{"name":{"first":1}}`, []string{"traits.email=4000002", "traits.name.first=4000026"}},

		// username + email: one id per keyword
		{"username-email", `{"username":"alice","email":"alice@example.com","age":30,"score":2.5,"plan":"pro","tos":true,"newsletter":false,"website":"https://example.com/a?b=c","birthday":"2000-02-29","tags":["a","b"]}`, nil},
		{"username-email", `{}`, []string{"traits.username=4000002", "traits.email=4000002"}},
		{"username-email", `{"username":"al","email":"a@example.com"}`, []string{"traits.username=4000003"}},
		{"username-email", `{"username":"` + strings.Repeat("a", 33) + `","email":"a@example.com"}`, []string{"traits.username=4000017"}},
		{"username-email", `{"username":"Alice","email":"a@example.com"}`, []string{"traits.username=4000004"}},
		{"username-email", `{"username":"A","email":"a@example.com"}`, []string{"traits.username=4000003,4000004"}},
		{"username-email", `{"username":"alice","email":"a@example.com","age":12}`, []string{"traits.age=4000018"}},
		{"username-email", `{"username":"alice","email":"a@example.com","age":151}`, []string{"traits.age=4000020"}},
		{"username-email", `{"username":"alice","email":"a@example.com","age":20.5}`, []string{"traits.age=4000026"}},
		{"username-email", `{"username":"alice","email":"a@example.com","score":0}`, []string{"traits.score=4000019"}},
		{"username-email", `{"username":"alice","email":"a@example.com","score":10}`, []string{"traits.score=4000021"}},
		{"username-email", `{"username":"alice","email":"a@example.com","score":1.2}`, []string{"traits.score=4000022"}},
		{"username-email", `{"username":"alice","email":"a@example.com","plan":"gold"}`, []string{"traits.plan=4000001"}},
		{"username-email", `{"username":"alice","email":"a@example.com","tos":false}`, []string{"traits.tos=4000029"}},
		{"username-email", `{"username":"alice","email":"a@example.com","website":"example.com"}`, []string{"traits.website=4000001"}},
		{"username-email", `{"username":"alice","email":"a@example.com","birthday":"2001-02-29"}`, []string{"traits.birthday=4000001"}},
		{"username-email", `{"username":"alice","email":"a@example.com","tags":[]}`, []string{"traits.tags=4000024"}},
		{"username-email", `{"username":"alice","email":"a@example.com","tags":["a","b","c"]}`, []string{"traits.tags=4000023"}},
		{"username-email", `{"username":"alice","email":"a@example.com","tags":["a","a"]}`, []string{"traits.tags=4000025"}},
		{"username-email", `{"username":"alice","email":"a@example.com","tags":["a",1]}`, []string{"traits.tags.1=4000026"}},
		// fields come in schema order whatever the document order
		{"username-email", `{"tags":[],"age":1,"email":"x","username":"A"}`, []string{"traits.username=4000003,4000004", "traits.email=4000001", "traits.age=4000018", "traits.tags=4000024"}},

		// phone via SMS (2020-12)
		{"phone-sms", `{"phone":"+4915112345678"}`, nil},
		{"phone-sms", `{"phone":"+49 151 12345678"}`, []string{"traits.phone=4000001"}},
		{"phone-sms", `{"phone":"+4915112345678","email":"nope"}`, []string{"traits.email=4000001"}},

		// nested objects and local $refs: a missing property is reported on
		// its own node, not on its parent
		{"nested-name", `{"email":"a@example.com","name":{"first":"A","last":"L"}}`, nil},
		{"nested-name", `{"email":"a@example.com"}`, []string{"traits.name=4000002"}},
		{"nested-name", `{"email":"a@example.com","name":{"first":""}}`, []string{"traits.name.first=4000003", "traits.name.last=4000002"}},
		{"nested-name", `{"email":"a@example.com","name":{"first":"A","last":"L"},"address":{"geo":{"lat":91}}}`,
			[]string{"traits.address.street=4000002", "traits.address.geo.lat=4000020", "traits.address.geo.lng=4000002"}},
		{"nested-name", `{"email":"a@example.com","name":{"first":"A","last":"L"},"address":{"street":"x","geo":{"lat":-91,"lng":0}}}`,
			[]string{"traits.address.geo.lat=4000018"}},

		// arrays of emails: items are named by index
		{"emails-array", `{"emails":["a@example.com","b@example.com"]}`, nil},
		{"emails-array", `{"emails":[]}`, []string{"traits.emails=4000024"}},
		{"emails-array", `{"emails":["a@example.com","nope","alsonope"]}`, []string{"traits.emails.1=4000001", "traits.emails.2=4000001"}},
		{"emails-array", `{"emails":["a@example.com","a@example.com"]}`, []string{"traits.emails=4000025"}},
		{"emails-array", `{"emails":["a@example.com"],"phones":["+4915112345678","12345"]}`, []string{"traits.phones.1=4000001"}},

		// the document itself
		{"email-password", `[]`, []string{"=4000026"}},
		{"email-password", `"x"`, []string{"=4000026"}},
		{"email-password", `null`, []string{"=4000026"}},
		{"email-password", `{"email":`, []string{"=4000001"}},
		{"email-password", `{"email":"a@b.co"} {}`, []string{"=4000001"}},
		{"email-password", ``, []string{"=4000001"}},
	}
	schemas := map[string]*Schema{}
	for _, tc := range cases {
		s := schemas[tc.schema]
		if s == nil {
			s = load(t, tc.schema)
			schemas[tc.schema] = s
		}
		got := ids(t, s.Validate(json.RawMessage(tc.traits)))
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %s:\n got %q\nwant %q", tc.schema, tc.traits, got, tc.want)
		}
	}
}

func TestValidateMessages(t *testing.T) {
	s := load(t, "username-email")
	err := s.Validate([]byte(`{"username":"A","age":12,"score":1.25,"tags":["x","x","y"],"tos":false,"plan":"gold","extra":1}`))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatal(err)
	}
	b, _ := json.Marshal(ve)
	var got map[string]any
	_ = json.Unmarshal(b, &got)
	want := map[string]any{
		"fields": []any{
			field("traits", msg(4000001, `additional properties "extra" not allowed`, map[string]any{"reason": `additional properties "extra" not allowed`})),
			field("traits.username",
				msg(4000003, "length must be >= 3, but got 1", map[string]any{"min_length": 3.0, "actual_length": 1.0}),
				msg(4000004, `does not match pattern "^[a-z0-9_]+$"`, map[string]any{"pattern": "^[a-z0-9_]+$"})),
			field("traits.email", msg(4000002, "Property email is missing.", map[string]any{"property": "email"})),
			field("traits.age", msg(4000018, "must be >= 13 but found 12", map[string]any{"minimum": 13.0, "actual": 12.0})),
			field("traits.score", msg(4000022, "1.25 not multipleOf 0.5", map[string]any{"base": 0.5, "actual": 1.25})),
			field("traits.plan", msg(4000001, `value must be one of "free", "pro"`, map[string]any{"reason": `value must be one of "free", "pro"`})),
			field("traits.tos", msg(4000029, "must be equal to constant true", map[string]any{"expected": "true"})),
			field("traits.tags",
				msg(4000023, "maximum 2 items allowed, but found 3 items", map[string]any{"max_items": 2.0, "actual_items": 3.0}),
				msg(4000025, "items at index 0 and 1 are equal", map[string]any{"index_a": 0.0, "index_b": 1.0})),
		},
	}
	if !reflect.DeepEqual(got, want) {
		gb, _ := json.MarshalIndent(got, "", " ")
		t.Fatalf("got %s", gb)
	}
	if f := ve.Field("traits.email"); f == nil || f.Messages[0].ID != MsgRequired {
		t.Fatalf("Field(traits.email) = %+v", f)
	}
	if ve.Field("traits.nope") != nil {
		t.Fatal("Field of an unknown name")
	}
	if e := ve.Error(); !strings.Contains(e, "traits.email: Property email is missing.") {
		t.Fatalf("Error() = %q", e)
	}

	err = s.Validate([]byte(`{"username":"alice","email":"a@example.com","age":"x","score":11}`))
	if !errors.As(err, &ve) {
		t.Fatal(err)
	}
	if m := ve.Field("traits.age").Messages[0]; m.ID != MsgWrongType || m.Text != "expected integer, but got string" ||
		!reflect.DeepEqual(m.Context["allowed_types"], []string{"integer"}) || m.Context["actual_type"] != "string" {
		t.Fatalf("type message %+v", m)
	}
	if m := ve.Field("traits.score").Messages[0]; m.ID != MsgExclusiveMaximum || m.Text != "must be < 10 but found 11" {
		t.Fatalf("exclusiveMaximum message %+v", m)
	}
}

func field(name string, ms ...any) map[string]any {
	return map[string]any{"name": name, "messages": ms}
}

func msg(id int, text string, ctx map[string]any) map[string]any {
	return map[string]any{"id": float64(id), "text": text, "type": "error", "context": ctx}
}

func TestValidateBounds(t *testing.T) {
	s := load(t, "email-password")
	deep := func(n int) string {
		return `{"email":"a@b.co","name":` + strings.Repeat(`[`, n-1) + strings.Repeat(`]`, n-1) + `}`
	}
	cases := map[string]struct {
		traits string
		want   error
	}{
		"too large":        {`{"email":"` + strings.Repeat("a", MaxTraitsBytes) + `"}`, ErrTraitsTooLarge},
		"too deep":         {deep(MaxTraitsDepth + 1), ErrTraitsTooDeep},
		"not json":         {`{`, ErrTraitsMalformed},
		"not an object":    {`[{}]`, ErrTraitsMalformed},
		"deep but allowed": {deep(MaxTraitsDepth), nil},
		"brackets in text": {`{"email":"a@b.co","name":{"first":"` + strings.Repeat("[{", 100) + `"}}`, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := s.Validate([]byte(tc.traits))
			_, xerr := s.Extract([]byte(tc.traits))
			if tc.want == nil {
				if errors.Is(err, ErrTraitsTooDeep) || errors.Is(err, ErrTraitsTooLarge) || errors.Is(err, ErrTraitsMalformed) {
					t.Fatalf("Validate refused the document: %v", err)
				}
				if xerr != nil {
					t.Fatalf("Extract: %v", xerr)
				}
				return
			}
			var ve *ValidationError
			if !errors.Is(err, tc.want) || !errors.As(err, &ve) || len(ve.Global) != 1 || len(ve.Fields) != 0 {
				t.Fatalf("Validate = %v", err)
			}
			if !errors.Is(xerr, tc.want) {
				t.Fatalf("Extract = %v", xerr)
			}
		})
	}
}

// A value marked for a channel must be reachable by it even when the
// schema declares no format.
func TestValidateChannels(t *testing.T) {
	doc := `{"properties":{"traits":{"properties":{
		"email":{"type":"string","ory.sh/kratos":{"credentials":{"code":{"identifier":true,"via":"email"}}}},
		"backup":{"type":"string","ory.sh/kratos":{"recovery":{"via":"email"}}},
		"phone":{"type":"string","ory.sh/kratos":{"verification":{"via":"sms"}}},
		"mobile":{"type":"string","format":"tel","ory.sh/kratos":{"recovery":{}}},
		"other":{"type":"string","ory.sh/kratos":{"verification":{}}}}}}}`
	s, err := Compile(context.Background(), "c", "", []byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate([]byte(`{"email":"a@example.com","backup":" b@example.com ","phone":"+4915112345678","mobile":"+4915112345679","other":"c@example.com"}`)); err != nil {
		t.Fatal(err)
	}
	got := ids(t, s.Validate([]byte(`{"email":"x","backup":"+4915112345678","phone":"a@example.com","mobile":"a@example.com","other":"+4915112345678"}`)))
	want := []string{"traits.email=4000001", "traits.backup=4000001", "traits.phone=4000001", "traits.mobile=4000001", "traits.other=4000001"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q", got)
	}
	var ve *ValidationError
	errors.As(s.Validate([]byte(`{"phone":"nope","mobile":"nope"}`)), &ve)
	if m := ve.Field("traits.phone").Messages; len(m) != 1 || m[0].Text != `"nope" is not valid "tel"` {
		t.Fatalf("phone messages %+v", m)
	}
	// the schema's format check and the channel check say the same once
	if m := ve.Field("traits.mobile").Messages; len(m) != 1 {
		t.Fatalf("mobile messages %+v", m)
	}
}

// Validation under anyOf reports the leaves of every branch, as Kratos does.
func TestValidateCombinators(t *testing.T) {
	doc := `{"properties":{"traits":{"properties":{
		"contact":{"anyOf":[{"type":"string","format":"email"},{"type":"string","format":"tel"}]},
		"nick":{"allOf":[{"minLength":2},{"maxLength":4}]}}}}}`
	s, err := Compile(context.Background(), "c", "", []byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate([]byte(`{"contact":"+4915112345678","nick":"abc"}`)); err != nil {
		t.Fatal(err)
	}
	var ve *ValidationError
	if !errors.As(s.Validate([]byte(`{"contact":"x","nick":"abcde"}`)), &ve) {
		t.Fatal("accepted")
	}
	var texts []string
	for _, m := range ve.Field("traits.contact").Messages {
		texts = append(texts, m.Text)
	}
	sort.Strings(texts)
	if strings.Join(texts, "|") != `"x" is not valid "email"|"x" is not valid "tel"` {
		t.Fatalf("contact messages %q", texts)
	}
	if m := ve.Field("traits.nick").Messages; len(m) != 1 || m[0].ID != MsgMaxLength {
		t.Fatalf("nick messages %+v", m)
	}
}

func TestValidateConcurrent(t *testing.T) {
	s := load(t, "username-email")
	done := make(chan error)
	for i := range 8 {
		go func() {
			var err error
			for j := range 50 {
				traits := fmt.Sprintf(`{"username":"user_%d_%d","email":"u%d@example.com"}`, i, j, j)
				if err = s.Validate([]byte(traits)); err != nil {
					break
				}
				if _, err = s.Extract([]byte(traits)); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

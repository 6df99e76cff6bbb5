package tuple

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestParseAndString(t *testing.T) {
	for _, tc := range []struct {
		in, out string
		want    Tuple
	}{
		{"Doc:readme#viewers@alice", "", Tuple{"Doc", "readme", "viewers", Subject{ID: "alice"}}},
		{"Doc:readme#viewers@alice@example.com", "", Tuple{"Doc", "readme", "viewers", Subject{ID: "alice@example.com"}}},
		{"Doc:readme#viewers@User:bob", "", Tuple{"Doc", "readme", "viewers", Subject{Set: &SubjectSet{"User", "bob", ""}}}},
		{"Folder:a#viewers@Group:eng#members", "", Tuple{"Folder", "a", "viewers", Subject{Set: &SubjectSet{"Group", "eng", "members"}}}},
		{"Folder:a#viewers@(Group:eng#members)", "Folder:a#viewers@Group:eng#members", Tuple{"Folder", "a", "viewers", Subject{Set: &SubjectSet{"Group", "eng", "members"}}}},
		{"Org:o#reports.view@Role:analyst", "", Tuple{"Org", "o", "reports.view", Subject{Set: &SubjectSet{"Role", "analyst", ""}}}},
		{"Doc:path/to:file#owner@u1", "", Tuple{"Doc", "path/to:file", "owner", Subject{ID: "u1"}}},
	} {
		got, err := Parse(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got.String() != tc.want.String() || !got.Subject.Equal(tc.want.Subject) {
			t.Fatalf("%s: got %+v", tc.in, got)
		}
		out := tc.out
		if out == "" {
			out = tc.in
		}
		if got.String() != out {
			t.Fatalf("String() = %q, want %q", got.String(), out)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{"", "nocolon", "ns:obj", "ns:obj#rel", "ns:obj#rel@", ":obj#rel@s", "ns:#rel@s",
		"ns:obj#@s", "ns:obj#rel@(Group:x", "ns:obj#rel@(plain)", "ns:obj#rel@:x", "ns:obj#rel@Group:"} {
		if _, err := Parse(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%q) = %v, want ErrMalformed", in, err)
		}
	}
}

func TestJSONShape(t *testing.T) {
	tu, _ := Parse("Doc:readme#viewers@alice")
	b, _ := json.Marshal(tu)
	if string(b) != `{"namespace":"Doc","object":"readme","relation":"viewers","subject_id":"alice"}` {
		t.Fatal(string(b))
	}
	tu, _ = Parse("Doc:readme#viewers@Group:eng#members")
	b, _ = json.Marshal(tu)
	if string(b) != `{"namespace":"Doc","object":"readme","relation":"viewers","subject_set":{"namespace":"Group","object":"eng","relation":"members"}}` {
		t.Fatal(string(b))
	}
	var back Tuple
	if err := json.Unmarshal(b, &back); err != nil || back.String() != tu.String() {
		t.Fatalf("round trip: %v %v", err, back)
	}
	if err := json.Unmarshal([]byte(`{"namespace":"a","object":"b","relation":"c","subject_id":"d","subject_set":{"namespace":"x","object":"y","relation":"z"}}`), &back); err != nil {
		t.Fatal(err)
	}
	if back.Validate() == nil {
		t.Fatal("both subject kinds must not validate")
	}
}

func TestQueryFromURL(t *testing.T) {
	q, err := QueryFromURL(url.Values{"namespace": {"Doc"}, "subject_set.namespace": {"G"}, "subject_set.object": {"e"}, "subject_set.relation": {"m"}})
	if err != nil || q.Subject == nil || q.Subject.Set.Object != "e" {
		t.Fatal(q, err)
	}
	if _, err := QueryFromURL(url.Values{"subject_set.namespace": {"G"}}); err == nil || !strings.Contains(err.Error(), "subject_set.object") {
		t.Fatalf("partial subject set: %v", err)
	}
	if _, err := QueryFromURL(url.Values{"subject_id": {"a"}, "subject_set.namespace": {"G"}}); err == nil {
		t.Fatal("both subject kinds accepted")
	}
	tu, _ := Parse("Doc:readme#viewers@Group:eng#members")
	q2, _ := QueryFromURL(Query{Namespace: "Doc", Subject: &tu.Subject}.Values())
	if !q2.Matches(tu) {
		t.Fatal("Values/QueryFromURL round trip")
	}
	if _, err := TupleFromURL(url.Values{"namespace": {"Doc"}, "object": {"x"}}); err == nil {
		t.Fatal("incomplete tuple accepted")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"Doc:readme#viewers@alice", "Folder:a#viewers@(Group:eng#members)", "a:b#c@d:e", "::#@", "a:b#c@(", "a:b#c@()"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tu, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error is not ErrMalformed: %v", err)
			}
			return
		}
		if err := tu.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid tuple %q: %v", s, err)
		}
		again, err := Parse(tu.String())
		if err != nil || again.String() != tu.String() {
			t.Fatalf("round trip of %q: %q %v", s, tu.String(), err)
		}
	})
}

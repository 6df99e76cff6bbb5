package opl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The shared folder sits beside the module: /work/main/internal/permission/opl
// is four levels below it.
const (
	sharedScenarios = "../../../../shared/testdata/keto-check-scenarios.json"
	sharedExamples  = "../../../../shared/ory-spec/keto/opl-examples"
)

// scenarioSources returns every "opl" string of the check scenarios file,
// keyed by its JSON path, or skips the test if the file is absent.
func scenarioSources(tb testing.TB) map[string]string {
	tb.Helper()
	out := readScenarios(tb)
	if out == nil {
		tb.Skipf("%s is absent", sharedScenarios)
	}
	return out
}

// readScenarios returns the "opl" strings of the check scenarios file, or nil
// if the file is absent.
func readScenarios(tb testing.TB) map[string]string {
	tb.Helper()
	b, err := os.ReadFile(sharedScenarios)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		tb.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		tb.Fatal(err)
	}
	out := map[string]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				if s, ok := c.(string); ok && k == "opl" {
					out[path+"."+k] = s
					continue
				}
				walk(path+"."+k, c)
			}
		case []any:
			for i, c := range v {
				walk(path+"["+strconv.Itoa(i)+"]", c)
			}
		}
	}
	walk("", doc)
	return out
}

// exampleSources returns the OPL example files (not the .d.ts declaration of
// the types module), or skips the test if the folder is absent.
func exampleSources(tb testing.TB) map[string]string {
	tb.Helper()
	out := readExamples(tb)
	if len(out) == 0 {
		tb.Skipf("no examples in %s", sharedExamples)
	}
	return out
}

// readExamples returns the OPL example files, none if the folder is absent.
func readExamples(tb testing.TB) map[string]string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(sharedExamples, "*.ts"))
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range paths {
		if strings.HasSuffix(p, ".d.ts") {
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out[filepath.Base(p)] = string(b)
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestSharedScenariosParse(t *testing.T) {
	srcs := scenarioSources(t)
	if len(srcs) < 10 {
		t.Fatalf("found only %d OPL sources in %s", len(srcs), sharedScenarios)
	}
	models := map[string]*Model{}
	for _, k := range sortedKeys(srcs) {
		m, err := Parse(srcs[k])
		if err != nil {
			t.Errorf("%s: %v", k, err)
			continue
		}
		models[k] = m
	}
	// Spot checks of what the engine will evaluate.
	if m := models[".rewrites.scenario.opl"]; m != nil {
		want := &Rewrite{Op: OpIntersection, Children: []Child{css("allow"), not(css("deny"))}}
		if got := m.Namespace("Acl").Relation("access").Rewrite; !reflect.DeepEqual(got, want) {
			t.Errorf("Acl.access = %#v", got)
		}
		want = or(css("editor"), ttu("parent", "viewer"))
		if got := m.Namespace("Doc").Relation("viewer").Rewrite; !reflect.DeepEqual(got, want) {
			t.Errorf("Doc.viewer = %#v", got)
		}
		want = and(css("isOwner"), ttu("level", "member"))
		if got := m.Namespace("Resource").Relation("delete").Rewrite; !reflect.DeepEqual(got, want) {
			t.Errorf("Resource.delete = %#v", got)
		}
	} else {
		t.Error("the rewrites scenario is missing")
	}
}

func TestSharedExamplesParse(t *testing.T) {
	srcs := exampleSources(t)
	for _, k := range sortedKeys(srcs) {
		if _, err := Parse(srcs[k]); err != nil {
			t.Errorf("%s: %v", k, err)
		}
	}
	src, ok := srcs["rewrites.keto.ts"]
	if !ok {
		return
	}
	m, _ := Parse(src)
	want := &Model{Namespaces: []*Namespace{
		ns("User", rel("manager", obj("User"))),
		ns("Group", rel("members", obj("User"), obj("Group"))),
		ns("Folder",
			rel("parents", obj("File"), obj("Folder")),
			rel("viewers", set("Group", "members")),
			permit("view", OpUnion, css("viewers"), ttu("parents", "view"))),
		ns("File",
			rel("parents", obj("File"), obj("Folder")),
			rel("viewers", obj("User"), set("Group", "members")),
			rel("owners", obj("User"), set("Group", "members")),
			permit("view", OpUnion, ttu("parents", "view"), css("viewers"), css("owners")),
			permit("edit", OpUnion, css("owners"))),
	}}
	if got := noPos(m); !reflect.DeepEqual(got, want) {
		t.Errorf("rewrites.keto.ts\n got: %s\nwant: %s", Format(got), Format(want))
	}
}

// The declaration file of the types module is TypeScript, not OPL: it must
// be rejected cleanly.
func TestSharedDeclarationRejected(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(sharedExamples, "namespace-types.d.ts"))
	if os.IsNotExist(err) {
		t.Skip("namespace-types.d.ts is absent")
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(string(b)); err == nil {
		t.Error("the declaration file parsed as OPL")
	}
}

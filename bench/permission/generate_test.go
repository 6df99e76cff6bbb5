package permission

import (
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/warden-iam/warden/internal/permission/opl"
)

// graph is an in-memory evaluation of namespaces.ts over a dataset, written
// independently of the generator to check what it promises.
type graph struct {
	// edges[ns][rel][object] lists the subjects of the tuples ns:object#rel.
	edges [numNS][numRel]map[int32][]Tuple
	// asSubject counts the tuples naming each user as subject.
	asSubject map[int32]int
	// memo of folder views for one user at a time.
	memoUser int32
	memo     map[int32]bool
	groups   map[int32]bool // groups the memo user belongs to, nesting included
}

func newGraph(ts []Tuple) *graph {
	g := &graph{asSubject: map[int32]int{}, memoUser: -1}
	for n := range numNS {
		for r := range numRel {
			g.edges[n][r] = map[int32][]Tuple{}
		}
	}
	for _, t := range ts {
		g.edges[t.NS][t.Rel][t.Object] = append(g.edges[t.NS][t.Rel][t.Object], t)
		if t.SubjectNS == User {
			g.asSubject[t.Subject]++
		}
	}
	return g
}

// inGroup: is user a member of group, directly or through nested groups?
func (g *graph) inGroup(group, user int32, depth int) bool {
	if depth > 64 {
		panic("group nesting has a cycle")
	}
	for _, t := range g.edges[Group][Members][group] {
		if t.SubjectNS == User && t.Subject == user {
			return true
		}
		if t.SubjectNS == Group && t.SubjectRel == Members && g.inGroup(t.Subject, user, depth+1) {
			return true
		}
	}
	return false
}

// grants: does one of the subjects of ns:obj#rel include user?
func (g *graph) grants(ns NS, rel Rel, obj, user int32) bool {
	for _, t := range g.edges[ns][rel][obj] {
		switch {
		case t.SubjectNS == User && t.Subject == user:
			return true
		case t.SubjectNS == Group && t.SubjectRel == Members && g.inGroup(t.Subject, user, 0):
			return true
		}
	}
	return false
}

func (g *graph) viewFolder(f, user int32) bool {
	if g.memoUser != user {
		g.memoUser, g.memo = user, map[int32]bool{}
	}
	if v, ok := g.memo[f]; ok {
		return v
	}
	v := g.grants(Folder, Viewers, f, user) || g.grants(Folder, Owners, f, user)
	for _, p := range g.edges[Folder][Parents][f] {
		v = v || g.viewFolder(p.Subject, user)
	}
	g.memo[f] = v
	return v
}

func (g *graph) viewDocument(d, user int32) bool {
	if g.grants(Document, Viewers, d, user) || g.grants(Document, Owners, d, user) {
		return true
	}
	for _, p := range g.edges[Document][Parents][d] {
		if g.viewFolder(p.Subject, user) {
			return true
		}
	}
	return false
}

// nesting is the number of groups on the longest chain from group down.
func (g *graph) nesting(group int32) int {
	best := 1
	for _, t := range g.edges[Group][Members][group] {
		if t.SubjectNS == Group {
			best = max(best, 1+g.nesting(t.Subject))
		}
	}
	return best
}

// folderDepth is the number of folders from f up to its root.
func (g *graph) folderDepth(f int32) int {
	ps := g.edges[Folder][Parents][f]
	if len(ps) == 0 {
		return 1
	}
	return 1 + g.folderDepth(ps[0].Subject)
}

func num(t *testing.T, id, prefix string) int32 {
	t.Helper()
	s, ok := strings.CutPrefix(id, prefix)
	n, err := strconv.Atoi(s)
	if !ok || err != nil {
		t.Fatalf("id %q does not start with %q and a number", id, prefix)
	}
	return int32(n)
}

func generate(t *testing.T, scale float64, seed uint64) *Dataset {
	t.Helper()
	d, err := Generate(Config{Scale: scale, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// checkShape verifies everything the dataset promises at any scale.
func checkShape(t *testing.T, d *Dataset) {
	f := d.Fixtures
	z := SizesFor(f.Scale)
	if len(d.Tuples) != z.Tuples || f.Tuples != z.Tuples {
		t.Errorf("%d tuples (fixtures say %d), want %d", len(d.Tuples), f.Tuples, z.Tuples)
	}
	limit := [numNS]int32{int32(f.Counts.Users), int32(f.Counts.Groups), int32(f.Counts.Folders), int32(f.Counts.Documents)}
	seen := make(map[Tuple]bool, len(d.Tuples))
	for _, tu := range d.Tuples {
		if seen[tu] {
			t.Fatalf("duplicate tuple %s", tu)
		}
		seen[tu] = true
		if tu.Object < 0 || tu.Object >= limit[tu.NS] || tu.Subject < 0 || tu.Subject >= limit[tu.SubjectNS] {
			t.Fatalf("id out of range in %s", tu)
		}
	}
	g := newGraph(d.Tuples)

	// The chain: its user is in the deepest group and nowhere else, the top
	// group is the document's only viewer, 16 groups from top to bottom.
	c := f.Chain
	user, top, doc := num(t, c.User, "u"), num(t, c.TopGroup, "g"), num(t, c.Document, "d")
	if c.Depth != 16 || g.nesting(top) != 16 {
		t.Errorf("chain depth %d, nesting below %s %d; want 16", c.Depth, c.TopGroup, g.nesting(top))
	}
	if g.asSubject[user] != 1 || !g.inGroup(num(t, c.DeepestGroup, "g"), user, 0) {
		t.Errorf("chain user %s: %d tuples, want one membership of %s", c.User, g.asSubject[user], c.DeepestGroup)
	}
	vs := g.edges[Document][Viewers][doc]
	if len(vs) != 1 || vs[0].SubjectNS != Group || vs[0].Subject != top || vs[0].SubjectRel != Members ||
		len(g.edges[Document][Parents][doc]) != 0 {
		t.Errorf("chain document %s: viewers %v, parents %v", c.Document, vs, g.edges[Document][Parents][doc])
	}
	if !g.viewDocument(doc, user) {
		t.Errorf("%s cannot view %s", c.User, c.Document)
	}
	// No group nests deeper than the chain.
	for gr := range int32(f.Counts.Groups) {
		if n := g.nesting(gr); n > 16 {
			t.Fatalf("group g%d nests %d deep", gr, n)
		}
	}
	// Folders: five levels; every ordinary document in one folder.
	deepest := 0
	for fo := range int32(f.Counts.Folders) {
		deepest = max(deepest, g.folderDepth(fo))
	}
	if deepest != FolderLevels {
		t.Errorf("folder tree %d deep, want %d", deepest, FolderLevels)
	}
	for dd := range int32(z.Documents) {
		if n := len(g.edges[Document][Parents][dd]); n != 1 {
			t.Fatalf("document d%d has %d folders", dd, n)
		}
	}

	// The wide documents.
	if len(f.Wide) != 2 {
		t.Fatalf("wide fixtures %+v", f.Wide)
	}
	for _, n := range []int{200, 1000} {
		w, ok := f.WideWith(n)
		if !ok {
			t.Fatalf("no wide document with %d parents", n)
		}
		doc := num(t, w.Document, "d")
		parents := g.edges[Document][Parents][doc]
		distinct := map[int32]bool{}
		for _, p := range parents {
			distinct[p.Subject] = true
		}
		if len(parents) != n || len(distinct) != n {
			t.Errorf("%s: %d parents (%d distinct), want %d", w.Document, len(parents), len(distinct), n)
		}
		allowed, denied := num(t, w.AllowedUser, "u"), num(t, w.DeniedUser, "u")
		var through []int32
		for _, p := range parents {
			if g.viewFolder(p.Subject, allowed) {
				through = append(through, p.Subject)
			}
		}
		if len(through) != 1 || Folder.ID(through[0]) != w.AllowedVia {
			t.Errorf("%s: %s views it through %v, want exactly %s", w.Document, w.AllowedUser, through, w.AllowedVia)
		}
		if !g.viewDocument(doc, allowed) {
			t.Errorf("%s cannot view %s", w.AllowedUser, w.Document)
		}
		for _, p := range parents {
			if g.viewFolder(p.Subject, denied) {
				t.Errorf("%s: denied user %s views parent f%d", w.Document, w.DeniedUser, p.Subject)
			}
		}
		if g.viewDocument(doc, denied) {
			t.Errorf("%s can view %s", w.DeniedUser, w.Document)
		}
	}

	// Owner pairs are direct tuples.
	if len(f.Owners) != min(1000, z.Documents) {
		t.Errorf("%d owner pairs", len(f.Owners))
	}
	for _, p := range f.Owners {
		tu := Tuple{NS: Document, Rel: Owners, SubjectNS: User, Object: num(t, p.Document, "d"), Subject: num(t, p.User, "u")}
		if !seen[tu] {
			t.Fatalf("owner pair %+v is not a tuple", p)
		}
	}
}

func TestSmallScaleShape(t *testing.T) {
	d := generate(t, 0.01, 1)
	c := d.Fixtures.Counts
	if c.Users != 100 || c.Groups != 26 || c.Documents != 1003 || len(d.Tuples) != 10_000 {
		t.Errorf("counts %+v, %d tuples", c, len(d.Tuples))
	}
	checkShape(t, d)
}

func TestScaleOneShape(t *testing.T) {
	d := generate(t, 1, 1)
	c := d.Fixtures.Counts
	if c.Users != 10_000 || c.Groups != 1_000 || c.Folders != 7_810 || c.Documents != 100_003 || len(d.Tuples) != 1_000_000 {
		t.Errorf("counts %+v, %d tuples", c, len(d.Tuples))
	}
	checkShape(t, d)
}

func TestCountsAreProportional(t *testing.T) {
	// From scale 0.2 up the folder tree grows with the scale too; below, it
	// keeps the 1,562 folders the 1,000-parent document needs.
	small, big := generate(t, 0.2, 3), generate(t, 0.4, 3)
	ratio := func(a, b int) float64 { return float64(b) / float64(a) }
	cs, cb := small.Fixtures.Counts, big.Fixtures.Counts
	for name, r := range map[string]float64{
		"tuples":  ratio(len(small.Tuples), len(big.Tuples)),
		"users":   ratio(cs.Users, cb.Users),
		"folders": ratio(cs.Folders, cb.Folders),
		"groups":  ratio(cs.Groups-ChainDepth, cb.Groups-ChainDepth),
		"docs":    ratio(cs.Documents-len(WideParents)-1, cb.Documents-len(WideParents)-1),
	} {
		if math.Abs(r-2) > 0.01 {
			t.Errorf("%s: ratio %.3f between scale 0.4 and 0.2, want 2", name, r)
		}
	}
	kinds := func(d *Dataset) map[string]int {
		m := map[string]int{}
		for _, k := range Breakdown(d.Tuples) {
			m[k.Kind] = k.Count
		}
		return m
	}
	ks, kb := kinds(small), kinds(big)
	for _, k := range []string{"Document#viewers@User", "Document#owners@User", "Document#viewers@Group#members", "Group#members@User"} {
		if r := ratio(ks[k], kb[k]); math.Abs(r-2) > 0.1 {
			t.Errorf("%s: %d at 0.2, %d at 0.4 (ratio %.2f)", k, ks[k], kb[k], r)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, b := generate(t, 0.02, 7), generate(t, 0.02, 7)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same scale and seed gave different datasets")
	}
	c := generate(t, 0.02, 8)
	if reflect.DeepEqual(a.Tuples, c.Tuples) {
		t.Fatal("seeds 7 and 8 gave the same tuples")
	}
	checkShape(t, c)
}

func TestGenerateRejectsBadScale(t *testing.T) {
	for _, s := range []float64{0, -1, math.NaN(), 1000} {
		if _, err := Generate(Config{Scale: s}); err == nil {
			t.Errorf("scale %v accepted", s)
		}
	}
}

func TestTupleEncoding(t *testing.T) {
	tu := Tuple{NS: Document, Rel: Viewers, SubjectNS: Group, SubjectRel: Members, Object: 12, Subject: 3}
	if s := tu.String(); s != "Document:d12#viewers@Group:g3#members" {
		t.Errorf("String %q", s)
	}
	want := `{"namespace":"Document","object":"d12","relation":"viewers","subject_set":{"namespace":"Group","object":"g3","relation":"members"}}`
	if s := string(tu.AppendJSON(nil)); s != want {
		t.Errorf("JSON %s", s)
	}
	u := Tuple{NS: Folder, Rel: Parents, SubjectNS: Folder, Object: 5, Subject: 1}
	if s := u.String(); s != "Folder:f5#parents@Folder:f1" {
		t.Errorf("String %q", s)
	}
}

// TestModelMatchesNamespaces parses namespaces.ts with Warden's OPL parser
// and checks that every tuple kind the generator writes, and every relation
// the workloads check, is declared there.
func TestModelMatchesNamespaces(t *testing.T) {
	src, err := os.ReadFile("namespaces.ts")
	if err != nil {
		t.Fatal(err)
	}
	m, err := opl.Parse(string(src))
	if err != nil {
		t.Fatalf("namespaces.ts: %v", err)
	}
	has := func(ns, rel string) bool {
		n := m.Namespace(ns)
		return n != nil && (rel == "" || n.Relation(rel) != nil)
	}
	for _, k := range Breakdown(generate(t, 0.01, 1).Tuples) {
		lhs, subj, _ := strings.Cut(k.Kind, "@")
		ns, rel, _ := strings.Cut(lhs, "#")
		sns, srel, _ := strings.Cut(subj, "#")
		if !has(ns, rel) || !has(sns, srel) {
			t.Errorf("%s is not declared in namespaces.ts", k.Kind)
		}
	}
	for _, nr := range [][2]string{{NSDocument, PermView}, {NSDocument, PermEdit}, {NSFolder, PermView}, {"Video", "owner"}} {
		if !has(nr[0], nr[1]) {
			t.Errorf("%s#%s is not declared in namespaces.ts", nr[0], nr[1])
		}
	}
}

func TestWardenConfig(t *testing.T) {
	b, err := os.ReadFile("warden.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Permission struct {
			Namespaces struct {
				Location string `yaml:"location"`
			} `yaml:"namespaces"`
			Limit struct {
				MaxReadDepth int `yaml:"max_read_depth"`
			} `yaml:"limit"`
		} `yaml:"permission"`
	}
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	p := cfg.Permission
	if p.Namespaces.Location != "file://./bench/permission/namespaces.ts" {
		t.Errorf("location %q", p.Namespaces.Location)
	}
	// Document#view -> viewers -> 16 groups needs 17 levels.
	if p.Limit.MaxReadDepth < ChainDepth+1 {
		t.Errorf("max_read_depth %d is too small for the chain", p.Limit.MaxReadDepth)
	}
}

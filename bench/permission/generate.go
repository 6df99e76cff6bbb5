package permission

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// The dataset at scale 1. Other scales multiply every count; the fixed shapes
// (the 16-group chain, the 200- and 1,000-parent documents, the folders they
// need) keep their size, so small scales keep the promised shape.
const (
	baseTuples    = 1_000_000
	baseUsers     = 10_000
	baseGroups    = 1_000
	baseDocuments = 100_000
	baseRoots     = 10 // root folders; each has a five-level tree below it

	// ChainDepth is the number of groups in the deepest nesting chain.
	ChainDepth = 16
	// FolderLevels is the depth of the folder tree.
	FolderLevels = 5
	folderFanout = 5

	// Ordinary groups nest at most this deep (the chain is the exception).
	maxGroupLevel = 4
	// guestShare of the users belong to no group and have no folder access;
	// they only appear as direct viewers of single documents (outside
	// collaborators). The chain user, the allowed and the denied users of the
	// wide documents are guests, so no other path reaches their documents.
	guestShare = 0.02
	minGuests  = 8

	ownerPairs = 1_000
)

// WideParents are the parent counts of the wide documents.
var WideParents = []int{200, 1000}

// Config says what to generate.
type Config struct {
	Scale float64 // 1.0 = 1 M tuples
	Seed  uint64
}

// Dataset is a generated dataset.
type Dataset struct {
	Tuples   []Tuple
	Fixtures Fixtures
}

// Sizes are the object counts a scale gives.
type Sizes struct {
	Tuples        int // target total
	Users         int
	Guests        int
	RegularGroups int // groups outside the chain
	Roots         int // root folders
	Folders       int
	Documents     int // ordinary documents, without the fixture documents
}

// SizesFor returns the counts at scale s.
func SizesFor(s float64) Sizes {
	r := func(base float64) int { return int(math.Round(base * s)) }
	z := Sizes{
		Tuples:        r(baseTuples),
		Users:         max(40, r(baseUsers)),
		RegularGroups: max(4, r(baseGroups-ChainDepth)),
		Roots:         max(2, r(baseRoots)),
		Documents:     max(10, r(baseDocuments)),
	}
	z.Guests = max(minGuests, int(math.Round(guestShare*float64(z.Users))))
	n := z.Roots
	for range FolderLevels {
		z.Folders += n
		n *= folderFanout
	}
	return z
}

// Generate builds the dataset for cfg. The same scale and seed always give
// the same tuples in the same order.
func Generate(cfg Config) (*Dataset, error) {
	if !(cfg.Scale > 0) || cfg.Scale > 100 {
		return nil, fmt.Errorf("scale must be above 0 and at most 100, not %v", cfg.Scale)
	}
	z := SizesFor(cfg.Scale)
	if z.Folders < WideParents[len(WideParents)-1] {
		return nil, errors.New("too few folders for the widest document")
	}
	g := &gen{r: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)), z: z}
	g.run()
	d := &Dataset{Tuples: g.out}
	d.Fixtures = g.fixtures(cfg)
	return d, nil
}

type gen struct {
	r   *rand.Rand
	z   Sizes
	out []Tuple

	members  int32   // users [0, members) belong to groups; the rest are guests
	reserved []int32 // guests with a fixed role: chain user, allowed and denied users
	isRes    []bool  // by user

	groupPop  []int32 // regular group ids in popularity order
	zipf      *rand.Zipf
	leaf      []bool // by folder: has no sub-folder
	firstOwn  []int32
	chainDoc  int32
	wide      []WideFixture
	chainUser int32
}

func (g *gen) add(ns NS, obj int32, rel Rel, sns NS, sub int32, srel Rel) {
	g.out = append(g.out, Tuple{NS: ns, Rel: rel, SubjectNS: sns, SubjectRel: srel, Object: obj, Subject: sub})
}

// pareto draws from a Pareto distribution with scale xm and shape alpha.
func (g *gen) pareto(xm, alpha float64) float64 {
	return xm / math.Pow(1-g.r.Float64(), 1/alpha)
}

// member returns a random user that belongs to groups.
func (g *gen) member() int32 { return g.r.Int32N(g.members) }

// anyUser returns a random user without a fixed role.
func (g *gen) anyUser() int32 {
	for {
		if u := g.r.Int32N(int32(g.z.Users)); !g.isRes[u] {
			return u
		}
	}
}

// group returns a regular group, popular ones more often.
func (g *gen) group() int32 { return g.groupPop[g.zipf.Uint64()] }

func (g *gen) run() {
	z := g.z
	g.out = make([]Tuple, 0, z.Tuples+z.Tuples/50)
	g.members = int32(z.Users - z.Guests)
	g.isRes = make([]bool, z.Users)
	for _, i := range g.r.Perm(z.Guests)[:4] {
		u := g.members + int32(i)
		g.reserved = append(g.reserved, u)
		g.isRes[u] = true
	}
	g.chainUser = g.reserved[0]

	g.groups()
	g.folders()
	g.documents()
	g.fill()
}

// groups: the chain g0 (top) .. g15 (deepest), then regular groups nested in
// each other at most maxGroupLevel deep, then the members' memberships.
func (g *gen) groups() {
	for i := int32(0); i < ChainDepth-1; i++ {
		g.add(Group, i, Members, Group, i+1, Members)
	}
	g.add(Group, ChainDepth-1, Members, User, g.chainUser, RelNone)

	n := int32(g.z.RegularGroups)
	level := make([]int8, n)
	for j := range n {
		level[j] = 1
		if j == 0 || g.r.Float64() < 0.3 {
			continue
		}
		for range 8 {
			p := g.r.Int32N(j)
			if level[p] < maxGroupLevel {
				level[j] = level[p] + 1
				g.add(Group, ChainDepth+p, Members, Group, ChainDepth+j, Members)
				break
			}
		}
	}
	g.groupPop = make([]int32, n)
	for i, p := range g.r.Perm(int(n)) {
		g.groupPop[i] = ChainDepth + int32(p)
	}
	g.zipf = rand.NewZipf(g.r, 1.1, 3, uint64(n-1))

	// Memberships: about 10 groups per member, heavy-tailed.
	limit := max(1, min(int(n)/2, 100))
	seen := make(map[int32]bool, limit)
	for u := range g.members {
		k := min(limit, int(math.Ceil(g.pareto(4.5, 1.8))))
		clear(seen)
		for tries := 0; len(seen) < k && tries < 50*k; tries++ {
			gr := g.group()
			if !seen[gr] {
				seen[gr] = true
				g.add(Group, gr, Members, User, u, RelNone)
			}
		}
	}
}

// folders: a tree of FolderLevels levels, each folder an owner, some a
// user or group viewer.
func (g *gen) folders() {
	z := g.z
	g.leaf = make([]bool, z.Folders)
	for i := range g.leaf {
		g.leaf[i] = true
	}
	start, size := int32(0), int32(z.Roots)
	for level := 1; level <= FolderLevels; level++ {
		for f := start; f < start+size; f++ {
			if level > 1 {
				p := start - size/folderFanout + g.r.Int32N(size/folderFanout)
				g.leaf[p] = false
				g.add(Folder, f, Parents, Folder, p, RelNone)
			}
			g.add(Folder, f, Owners, User, g.member(), RelNone)
			if g.r.Float64() < 0.5 {
				g.add(Folder, f, Viewers, User, g.member(), RelNone)
			}
			if g.r.Float64() < 0.2 {
				g.add(Folder, f, Viewers, Group, g.group(), Members)
			}
		}
		start += size
		size *= folderFanout
	}
}

// documents: every ordinary document in one folder with one or two owners
// and a heavy-tailed number of group viewers; then the fixture documents.
func (g *gen) documents() {
	z := g.z
	nd := int32(z.Documents)
	g.firstOwn = make([]int32, nd)
	for d := range nd {
		g.add(Document, d, Parents, Folder, g.r.Int32N(int32(z.Folders)), RelNone)
		o := g.member()
		g.firstOwn[d] = o
		g.add(Document, d, Owners, User, o, RelNone)
		if g.r.Float64() < 0.1 {
			if o2 := g.member(); o2 != o {
				g.add(Document, d, Owners, User, o2, RelNone)
			}
		}
		k := min(30, int(g.pareto(0.7, 1.5)))
		var picked [30]int32
		n := 0
		for tries := 0; n < k && tries < 4*k; tries++ {
			gr := g.group()
			if slices.Contains(picked[:n], gr) {
				continue
			}
			picked[n] = gr
			n++
			g.add(Document, d, Viewers, Group, gr, Members)
		}
	}

	// The chain document: only the top of the chain may view it.
	g.chainDoc = nd
	g.add(Document, g.chainDoc, Viewers, Group, 0, Members)
	g.add(Document, g.chainDoc, Owners, User, g.member(), RelNone)

	// The wide documents.
	for i, n := range WideParents {
		doc := nd + 1 + int32(i)
		g.add(Document, doc, Owners, User, g.member(), RelNone)
		parents := g.r.Perm(z.Folders)[:n]
		var leaves []int
		for k, f := range parents {
			if g.leaf[f] {
				leaves = append(leaves, k)
			}
		}
		if len(leaves) == 0 { // cannot happen with FolderLevels >= 2; kept for safety
			in := map[int]bool{}
			for _, f := range parents {
				in[f] = true
			}
			for f := z.Folders - 1; ; f-- {
				if g.leaf[f] && !in[f] {
					parents[n-1] = f
					leaves = []int{n - 1}
					break
				}
			}
		}
		for _, f := range parents {
			g.add(Document, doc, Parents, Folder, int32(f), RelNone)
		}
		via := int32(parents[leaves[g.r.IntN(len(leaves))]])
		allowed, denied := g.reserved[2+i], g.reserved[1]
		g.add(Folder, via, Viewers, User, allowed, RelNone)
		g.wide = append(g.wide, WideFixture{Parents: n, Document: Document.ID(doc),
			AllowedUser: User.ID(allowed), AllowedVia: Folder.ID(via), DeniedUser: User.ID(denied)})
	}
}

// fill tops the dataset up to the target count with direct user viewers of
// ordinary documents, heavy-tailed per document.
func (g *gen) fill() {
	rest := g.z.Tuples - len(g.out)
	if rest <= 0 {
		return
	}
	nd := g.z.Documents
	maxPer := min(1000, g.z.Users-len(g.reserved)-1)
	w := make([]float64, nd)
	var sum float64
	for i := range w {
		w[i] = min(100, g.pareto(1, 1.5))
		sum += w[i]
	}
	cnt := make([]int, nd)
	placed := 0
	for i := range cnt {
		cnt[i] = min(maxPer, int(float64(rest)*w[i]/sum))
		placed += cnt[i]
	}
	for placed < rest {
		if i := g.r.IntN(nd); cnt[i] < maxPer {
			cnt[i]++
			placed++
		}
	}
	seen := make([]int32, g.z.Users) // seen[u] == d+1: u already views d
	for d, k := range cnt {
		for k > 0 {
			u := g.anyUser()
			if seen[u] == int32(d)+1 {
				continue
			}
			seen[u] = int32(d) + 1
			g.add(Document, int32(d), Viewers, User, u, RelNone)
			k--
		}
	}
}

func (g *gen) fixtures(cfg Config) Fixtures {
	f := Fixtures{
		Version: FixturesVersion,
		Scale:   cfg.Scale,
		Seed:    cfg.Seed,
		Tuples:  len(g.out),
		Counts: Counts{Users: g.z.Users, Groups: ChainDepth + g.z.RegularGroups, Folders: g.z.Folders,
			Documents: g.z.Documents + 1 + len(WideParents)},
		Chain: ChainFixture{Depth: ChainDepth, User: User.ID(g.chainUser), TopGroup: Group.ID(0),
			DeepestGroup: Group.ID(ChainDepth - 1), Document: Document.ID(g.chainDoc)},
		Wide: g.wide,
	}
	n := min(ownerPairs, g.z.Documents)
	for _, d := range g.r.Perm(g.z.Documents)[:n] {
		f.Owners = append(f.Owners, OwnerPair{Document: Document.ID(int32(d)), User: User.ID(g.firstOwn[d])})
	}
	return f
}

// Kind names a kind of tuple, e.g. "Document#viewers@User".
func (t Tuple) Kind() string {
	s := t.NS.String() + "#" + t.Rel.String() + "@" + t.SubjectNS.String()
	if t.SubjectRel != RelNone {
		s += "#" + t.SubjectRel.String()
	}
	return s
}

// KindCount is the number of tuples of one kind.
type KindCount struct {
	Kind  string
	Count int
}

// Breakdown counts the tuples by kind, largest first.
func Breakdown(ts []Tuple) []KindCount {
	m := map[string]int{}
	for _, t := range ts {
		m[t.Kind()]++
	}
	out := make([]KindCount, 0, len(m))
	for k, n := range m {
		out = append(out, KindCount{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}

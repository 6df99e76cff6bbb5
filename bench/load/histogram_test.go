package load

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// exactPercentile is the nearest-rank percentile of sorted values.
func exactPercentile(sorted []uint64, q float64) float64 {
	rank := int(math.Ceil(q / 100 * float64(len(sorted))))
	rank = max(rank, 1)
	return float64(sorted[rank-1])
}

func TestHistogramPercentilesMatchExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dists := map[string]func() uint64{
		"uniform 0..2s":     func() uint64 { return rng.Uint64N(2_000_000) },
		"lognormal ~1ms":    func() uint64 { return uint64(math.Exp(rng.NormFloat64()*1.2 + math.Log(1000))) },
		"exponential 300µs": func() uint64 { return uint64(rng.ExpFloat64() * 300) },
		"bimodal":           func() uint64 { return []uint64{150, 40_000}[rng.IntN(2)] + rng.Uint64N(50) },
		"wide 1µs..100s":    func() uint64 { return uint64(math.Pow(10, rng.Float64()*8)) },
	}
	qs := []float64{0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100}
	for name, gen := range dists {
		t.Run(name, func(t *testing.T) {
			const n = 200_000
			vals := make([]uint64, n)
			h := NewHistogram()
			for i := range vals {
				vals[i] = gen()
				h.RecordValue(vals[i])
			}
			slices.Sort(vals)
			for _, q := range qs {
				want := exactPercentile(vals, q)
				got := h.Percentile(q)
				if rel := math.Abs(got-want) / math.Max(want, 1); rel > 0.01 {
					t.Errorf("p%v = %v, exact %v (%.2f%% off)", q, got, want, rel*100)
				}
			}
			if h.Count() != n || h.Min() != vals[0] || h.Max() != vals[n-1] {
				t.Errorf("count/min/max = %d/%d/%d, want %d/%d/%d", h.Count(), h.Min(), h.Max(), n, vals[0], vals[n-1])
			}
		})
	}
}

func TestHistogramMergeEqualsSingle(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	all := NewHistogram()
	parts := []*Histogram{NewHistogram(), NewHistogram(), NewHistogram(), NewHistogram()}
	for range 50_000 {
		v := uint64(rng.ExpFloat64() * 2000)
		all.RecordValue(v)
		parts[rng.IntN(len(parts))].RecordValue(v)
	}
	merged := NewHistogram()
	merged.Merge(NewHistogram()) // merging an empty histogram changes nothing
	for _, p := range parts {
		merged.Merge(p)
	}
	if merged.counts != all.counts || merged.Count() != all.Count() || merged.Min() != all.Min() ||
		merged.Max() != all.Max() || merged.Mean() != all.Mean() {
		t.Fatal("merged histogram differs from the one that saw every value")
	}
}

func TestHistogramBucketsTileTheRange(t *testing.T) {
	// Every bucket starts where the previous one ended, and every value maps
	// into the bucket whose bounds contain it, with width at most lo/128.
	var next uint64
	for i := range numBuckets {
		lo, w := bucketBounds(i)
		if lo != next {
			t.Fatalf("bucket %d starts at %d, want %d", i, lo, next)
		}
		if lo >= 2*subCount && w*subCount > lo {
			t.Fatalf("bucket %d: width %d too wide for %d", i, w, lo)
		}
		for _, v := range []uint64{lo, lo + w - 1} {
			if got := bucketIndex(v); got != i {
				t.Fatalf("value %d maps to bucket %d, want %d", v, got, i)
			}
		}
		next = lo + w
	}
	if next != maxValue+1 {
		t.Fatalf("buckets end at %d, want %d", next, uint64(maxValue+1))
	}
}

func TestHistogramEdges(t *testing.T) {
	h := NewHistogram()
	if h.Percentile(50) != 0 || h.Min() != 0 || h.Mean() != 0 {
		t.Fatal("empty histogram should report zeros")
	}
	h.Record(-time.Second)           // clamped to 0
	h.Record(1500 * time.Nanosecond) // 1 µs
	h.RecordValue(math.MaxUint64)    // clamped to the top bucket
	if h.Min() != 0 || h.Max() != maxValue || h.Count() != 3 {
		t.Fatalf("min/max/count = %d/%d/%d", h.Min(), h.Max(), h.Count())
	}
	if got := h.Percentile(50); got != 1 {
		t.Fatalf("p50 = %v, want 1", got)
	}
}

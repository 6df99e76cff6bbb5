package load

import (
	"math"
	"math/bits"
	"time"
)

// Histogram layout. Values are microseconds. Values below 2*subCount get one
// bucket each (exact). Above that, every power-of-two range [2^k, 2^(k+1)) is cut
// into subCount equal buckets, so a bucket is at most 1/subCount of its lower
// bound wide and reporting its midpoint is off by at most 1/(2*subCount) ≈ 0.4%.
const (
	subBits    = 7
	subCount   = 1 << subBits // 128
	maxBits    = 36           // largest tracked value is 2^36-1 µs (about 19 hours)
	maxExp     = maxBits - subBits - 1
	numBuckets = (maxExp + 2) * subCount
	maxValue   = 1<<maxBits - 1
)

// Histogram records latencies with microsecond resolution in log-linear
// buckets. It is not safe for concurrent use: give each worker its own and
// Merge them afterwards, which keeps the hot path free of locks and atomics.
type Histogram struct {
	counts [numBuckets]uint64
	n      uint64
	sum    uint64
	min    uint64
	max    uint64
}

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram { return &Histogram{min: math.MaxUint64} }

func bucketIndex(v uint64) int {
	if v < 2*subCount {
		return int(v)
	}
	e := bits.Len64(v) - subBits - 1 // v>>e is in [subCount, 2*subCount)
	return e*subCount + int(v>>e)
}

// bucketBounds returns the smallest value of bucket i and its width.
func bucketBounds(i int) (lo, width uint64) {
	if i < 2*subCount {
		return uint64(i), 1
	}
	e := i/subCount - 1
	m := uint64(i - e*subCount)
	return m << e, 1 << e
}

// Record adds one duration, truncated to whole microseconds.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.RecordValue(uint64(d / time.Microsecond))
}

// RecordValue adds one value in microseconds; values above the tracked range
// are clamped to it.
func (h *Histogram) RecordValue(us uint64) {
	if us > maxValue {
		us = maxValue
	}
	h.counts[bucketIndex(us)]++
	h.n++
	h.sum += us
	if us < h.min {
		h.min = us
	}
	if us > h.max {
		h.max = us
	}
}

// Merge adds every count of o into h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Min is the smallest recorded value in microseconds (0 when empty).
func (h *Histogram) Min() uint64 {
	if h.n == 0 {
		return 0
	}
	return h.min
}

// Max is the largest recorded value in microseconds.
func (h *Histogram) Max() uint64 { return h.max }

// Mean is the average recorded value in microseconds.
func (h *Histogram) Mean() float64 {
	if h.n == 0 {
		return 0
	}
	return float64(h.sum) / float64(h.n)
}

// Percentile returns the value at percentile q (0..100) in microseconds using
// the nearest-rank definition: the smallest recorded value with at least q% of
// all values at or below it. The answer is the midpoint of the bucket holding
// that value, clamped to the recorded min and max.
func (h *Histogram) Percentile(q float64) float64 {
	if h.n == 0 {
		return 0
	}
	if q >= 100 {
		return float64(h.max)
	}
	rank := uint64(math.Ceil(q / 100 * float64(h.n)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, w := bucketBounds(i)
			mid := float64(lo) + float64(w-1)/2
			return math.Min(math.Max(mid, float64(h.min)), float64(h.max))
		}
	}
	return float64(h.max)
}

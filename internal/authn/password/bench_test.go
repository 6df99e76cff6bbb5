package password

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// The benchmarks use the production defaults (argon2id m=19 MiB, t=2, p=1;
// bcrypt cost 12). Run them briefly, e.g. -benchtime=10x.

func BenchmarkHashArgon2id(b *testing.B) {
	h := newTestHasher(b, Config{})
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, []byte("correct horse battery staple")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompareArgon2id(b *testing.B) {
	h := newTestHasher(b, Config{})
	ctx := context.Background()
	hash, err := h.Hash(ctx, []byte("correct horse battery staple"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, err := h.Compare(ctx, []byte("correct horse battery staple"), hash); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkCompareBcrypt12(b *testing.B) {
	h := newTestHasher(b, Config{Algorithm: AlgorithmBcrypt})
	raw, err := bcrypt.GenerateFromPassword([]byte("correct horse battery staple"), 12)
	if err != nil {
		b.Fatal(err)
	}
	hash := string(raw)
	ctx := context.Background()
	for b.Loop() {
		if ok, err := h.Compare(ctx, []byte("correct horse battery staple"), hash); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkCompareParallel runs many more concurrent Compares (8 per
// GOMAXPROCS) than the pool has slots. It reports the slots, the peak number
// seen in use (never above the capacity) and the share of requests shed with
// ErrOverloaded: none with the default queue bound, most with a queue of 2.
func BenchmarkCompareParallel(b *testing.B) {
	b.Run("queue=default", func(b *testing.B) { benchmarkCompareParallel(b, 0) })
	b.Run("queue=2", func(b *testing.B) { benchmarkCompareParallel(b, 2) })
}

func benchmarkCompareParallel(b *testing.B, queue int) {
	h := newTestHasher(b, Config{MaxQueue: queue})
	ctx := context.Background()
	hash, err := h.Hash(ctx, []byte("correct horse battery staple"))
	if err != nil {
		b.Fatal(err)
	}
	var peak, shed, total atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			total.Add(1)
			ok, err := h.Compare(ctx, []byte("correct horse battery staple"), hash)
			if errors.Is(err, ErrOverloaded) {
				shed.Add(1)
				continue
			}
			if !ok || err != nil {
				b.Error(ok, err)
				return
			}
			inUse, _, _ := h.PoolStats()
			for {
				p := peak.Load()
				if int64(inUse) <= p || peak.CompareAndSwap(p, int64(inUse)) {
					break
				}
			}
		}
	})
	_, capacity, _ := h.PoolStats()
	if peak.Load() > int64(capacity) {
		b.Fatalf("peak %d slots in use above the capacity %d", peak.Load(), capacity)
	}
	b.ReportMetric(float64(capacity), "slots")
	b.ReportMetric(float64(peak.Load()), "peak-slots")
	b.ReportMetric(float64(shed.Load())/float64(max(total.Load(), 1)), "shed-ratio")
}

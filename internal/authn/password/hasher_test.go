package password

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// fastArgon2 is a cheap argon2id configuration for tests (Dev mode).
var fastArgon2 = Argon2Config{Memory: 64 * kib, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func newTestHasher(tb testing.TB, cfg Config) *Hasher {
	tb.Helper()
	h, err := NewHasher(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func TestHashArgon2RoundTrip(t *testing.T) {
	h := newTestHasher(t, Config{})
	ctx := context.Background()
	hash, err := h.Hash(ctx, []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !want.MatchString(hash) {
		t.Fatalf("hash %q does not have the default argon2id shape", hash)
	}
	if ok, err := h.Compare(ctx, []byte("correct horse"), hash); !ok || err != nil {
		t.Fatalf("Compare(right) = %v, %v", ok, err)
	}
	if ok, err := h.Compare(ctx, []byte("correct horsf"), hash); ok || err != nil {
		t.Fatalf("Compare(wrong) = %v, %v", ok, err)
	}
	again, _ := h.Hash(ctx, []byte("correct horse"))
	if again == hash {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	if h.NeedsRehash(hash) {
		t.Fatal("NeedsRehash of a fresh hash")
	}
}

func TestHashBcryptRoundTrip(t *testing.T) {
	h := newTestHasher(t, Config{Algorithm: AlgorithmBcrypt, Bcrypt: BcryptConfig{Cost: 4}, Dev: true})
	ctx := context.Background()
	hash, err := h.Hash(ctx, []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$2a$04$") || len(hash) != 60 {
		t.Fatalf("hash %q is not $2a$04$...", hash)
	}
	if ok, err := h.Compare(ctx, []byte("correct horse"), hash); !ok || err != nil {
		t.Fatalf("Compare(right) = %v, %v", ok, err)
	}
	if ok, err := h.Compare(ctx, []byte("correct horsE"), hash); ok || err != nil {
		t.Fatalf("Compare(wrong) = %v, %v", ok, err)
	}
	if h.NeedsRehash(hash) {
		t.Fatal("NeedsRehash of a fresh hash")
	}
	if _, err := h.Hash(ctx, make([]byte, 73)); !errors.Is(err, ErrPasswordTooLong) {
		t.Fatalf("73-byte bcrypt password: err = %v, want ErrPasswordTooLong", err)
	}
	if h.MaxPasswordLength() != 72 {
		t.Fatalf("MaxPasswordLength = %d, want 72", h.MaxPasswordLength())
	}
}

func TestNeedsRehash(t *testing.T) {
	ctx := context.Background()
	argon := newTestHasher(t, Config{Argon2: fastArgon2, Dev: true})
	bc := newTestHasher(t, Config{Algorithm: AlgorithmBcrypt, Bcrypt: BcryptConfig{Cost: 4}, Dev: true})
	argonHash, _ := argon.Hash(ctx, []byte("pw"))
	bcryptHash, _ := bc.Hash(ctx, []byte("pw"))

	other := fastArgon2
	other.Iterations = 2
	argonT2 := newTestHasher(t, Config{Argon2: other, Dev: true})
	shortKey := fastArgon2
	shortKey.KeyLength = 16
	argonK16 := newTestHasher(t, Config{Argon2: shortKey, Dev: true})
	bc5 := newTestHasher(t, Config{Algorithm: AlgorithmBcrypt, Bcrypt: BcryptConfig{Cost: 5}, Dev: true})

	tests := []struct {
		name string
		h    *Hasher
		hash string
		want bool
	}{
		{"same argon2 parameters", argon, argonHash, false},
		{"other iterations", argonT2, argonHash, true},
		{"other key length", argonK16, argonHash, true},
		{"bcrypt under argon2", argon, bcryptHash, true},
		{"argon2 under bcrypt", bc, argonHash, true},
		{"same bcrypt cost", bc, bcryptHash, false},
		{"other bcrypt cost", bc5, bcryptHash, true},
		{"argon2i import", argon, "$argon2i$v=19$m=64,t=1,p=1$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw", true},
		{"imported md5", argon, "$md5$CY9rzUYh03PK3k6DJie09g==", true},
		{"garbage", argon, "garbage", true},
	}
	for _, tt := range tests {
		if got := tt.h.NeedsRehash(tt.hash); got != tt.want {
			t.Errorf("%s: NeedsRehash = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNewHasherValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; nil means valid
	}{
		{"defaults", Config{}, nil},
		{"bcrypt default cost", Config{Algorithm: AlgorithmBcrypt}, nil},
		{"unknown algorithm", Config{Algorithm: "md5"}, []string{`algorithm "md5"`}},
		{"bcrypt cost below 10", Config{Algorithm: AlgorithmBcrypt, Bcrypt: BcryptConfig{Cost: 8}}, []string{"bcrypt cost 8"}},
		{"bcrypt cost 8 in dev", Config{Algorithm: AlgorithmBcrypt, Bcrypt: BcryptConfig{Cost: 8}, Dev: true}, nil},
		{"bcrypt cost above the limit", Config{Algorithm: AlgorithmBcrypt, Bcrypt: BcryptConfig{Cost: 20}}, []string{"bcrypt cost 20"}},
		{"small argon2 outside dev", Config{Argon2: fastArgon2}, []string{"below the minimum"}},
		{"argon2 above dedicated memory", Config{Argon2: Argon2Config{Memory: 512 * mib}}, []string{"above the dedicated memory"}},
		{"argon2 above 1 GiB", Config{Argon2: Argon2Config{Memory: 2 * gib}, DedicatedMemory: 4 * gib}, []string{"above the maximum"}},
		{"every problem at once", Config{MaxConcurrent: -1, MaxQueue: -2, Argon2: Argon2Config{SaltLength: 4, KeyLength: 2}},
			[]string{"max concurrent -1", "max queue -2", "salt length 4", "key length 2"}},
	}
	for _, tt := range tests {
		_, err := NewHasher(tt.cfg)
		if tt.want == nil {
			if err != nil {
				t.Errorf("%s: unexpected error %v", tt.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tt.name, err, w)
			}
		}
	}
}

func TestPoolShape(t *testing.T) {
	tests := []struct {
		cfg       Config
		wantSlots int
	}{
		// CPU-bound: 4 slots, where 256 MiB / 19 MiB would allow 13.
		{Config{MaxConcurrent: 4}, 4},
		// 64 MiB / 19 MiB = 3 below the CPU bound of 8.
		{Config{MaxConcurrent: 8, DedicatedMemory: 64 * mib}, 3},
		// bcrypt ignores the argon2 memory.
		{Config{MaxConcurrent: 8, DedicatedMemory: 64 * mib, Algorithm: AlgorithmBcrypt}, 8},
	}
	for _, tt := range tests {
		h := newTestHasher(t, tt.cfg)
		if _, capacity, _ := h.PoolStats(); capacity != tt.wantSlots {
			t.Errorf("%+v: %d slots, want %d", tt.cfg, capacity, tt.wantSlots)
		}
	}
	// An imported hash needing more memory than one slot's share holds
	// several slots: 64 MiB of 4 slots sharing 64 MiB takes all four.
	h := newTestHasher(t, Config{MaxConcurrent: 4, DedicatedMemory: 64 * mib, Argon2: Argon2Config{Memory: 16 * mib}})
	if w := h.weight(64 * mib); w != 4 {
		t.Errorf("weight(64 MiB) = %d, want 4", w)
	}
	if w := h.weight(17 * mib); w != 2 {
		t.Errorf("weight(17 MiB) = %d, want 2", w)
	}
	if w := h.weight(1 << 40); w != 4 {
		t.Errorf("weight(1 TiB) = %d, want all 4 slots", w)
	}
}

func TestPoolLimitsConcurrency(t *testing.T) {
	p := newPool(2, 100)
	ctx := context.Background()
	var mu sync.Mutex
	running, peak := 0, 0
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.acquire(ctx, 1); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			running++
			peak = max(peak, running)
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
			mu.Lock()
			running--
			mu.Unlock()
			p.release(1)
		}()
	}
	wg.Wait()
	if peak != 2 {
		t.Fatalf("peak concurrency %d, want 2", peak)
	}
	if used, _, waiting := p.stats(); used != 0 || waiting != 0 {
		t.Fatalf("after all: used %d, waiting %d", used, waiting)
	}
}

func TestPoolOverloadAndCancel(t *testing.T) {
	p := newPool(1, 2)
	ctx := context.Background()
	if err := p.acquire(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// Two waiters fill the queue.
	errs := make(chan error, 2)
	cctx, cancel := context.WithCancel(ctx)
	go func() { errs <- p.acquire(cctx, 1) }()
	go func() { errs <- p.acquire(cctx, 1) }()
	waitFor(t, func() bool { _, _, w := p.stats(); return w == 2 })

	start := time.Now()
	if err := p.acquire(ctx, 1); !errors.Is(err, ErrOverloaded) {
		t.Fatalf("third waiter: err = %v, want ErrOverloaded", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Fatalf("ErrOverloaded took %v; want immediate", d)
	}

	cancel()
	for range 2 {
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled waiter: err = %v", err)
		}
	}
	if _, _, w := p.stats(); w != 0 {
		t.Fatalf("%d waiters left after cancel", w)
	}
	p.release(1)
	// The pool is whole again.
	if err := p.acquire(ctx, 1); err != nil {
		t.Fatal(err)
	}
	p.release(1)

	// A deadline while waiting returns the context's error.
	if err := p.acquire(ctx, 1); err != nil {
		t.Fatal(err)
	}
	dctx, dcancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer dcancel()
	if err := p.acquire(dctx, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("deadline: err = %v", err)
	}
	p.release(1)
}

func TestPoolFIFOWeights(t *testing.T) {
	p := newPool(4, 10)
	ctx := context.Background()
	if err := p.acquire(ctx, 3); err != nil {
		t.Fatal(err)
	}
	order := make(chan int, 2)
	go func() { _ = p.acquire(ctx, 4); order <- 4; p.release(4) }()
	waitFor(t, func() bool { _, _, w := p.stats(); return w == 1 })
	// One slot is free, but a small request queues behind the large one
	// rather than starving it.
	go func() { _ = p.acquire(ctx, 1); order <- 1; p.release(1) }()
	waitFor(t, func() bool { _, _, w := p.stats(); return w == 2 })
	p.release(3)
	if first, second := <-order, <-order; first != 4 || second != 1 {
		t.Fatalf("grant order %d, %d; want 4 then 1", first, second)
	}
}

func TestHasherOverloadedAndContext(t *testing.T) {
	h := newTestHasher(t, Config{Argon2: fastArgon2, Dev: true, MaxConcurrent: 1, MaxQueue: 1})
	ctx := context.Background()
	hash, err := h.Hash(ctx, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	// Hold the only slot and fill the queue.
	if err := h.pool.acquire(ctx, 1); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { _, err := h.Compare(cctx, []byte("pw"), hash); done <- err }()
	waitFor(t, func() bool { _, _, w := h.PoolStats(); return w == 1 })

	if _, err := h.Compare(ctx, []byte("pw"), hash); !errors.Is(err, ErrOverloaded) {
		t.Fatalf("Compare on a full queue: err = %v, want ErrOverloaded", err)
	}
	if _, err := h.Hash(ctx, []byte("pw")); !errors.Is(err, ErrOverloaded) {
		t.Fatalf("Hash on a full queue: err = %v, want ErrOverloaded", err)
	}
	// Cheap schemes do not wait for the pool.
	if ok, err := h.Compare(ctx, []byte("test"), "$md5$CY9rzUYh03PK3k6DJie09g=="); !ok || err != nil {
		t.Fatalf("md5 while the pool is busy: %v, %v", ok, err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Compare: err = %v", err)
	}
	h.pool.release(1)
	if ok, err := h.Compare(ctx, []byte("pw"), hash); !ok || err != nil {
		t.Fatalf("Compare after release = %v, %v", ok, err)
	}
	if _, err := h.Compare(cctx, []byte("pw"), hash); !errors.Is(err, context.Canceled) {
		t.Fatalf("Compare with a done context: err = %v", err)
	}
}

func TestSimulateCompare(t *testing.T) {
	h := newTestHasher(t, Config{Argon2: fastArgon2, Dev: true})
	if err := h.SimulateCompare(context.Background(), make([]byte, 5000)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.SimulateCompare(ctx, []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestImportedFormatsWithOwnHashes(t *testing.T) {
	h := newTestHasher(t, Config{})
	ctx := context.Background()
	// Unsalted digests (md5 from the vectors; sha1 and sha256 of "test").
	for _, hash := range []string{
		"$md5$CY9rzUYh03PK3k6DJie09g==",
		"$sha1$qUqP5cyxm6YcTAhz05Hph5gvu9M=",
		"$sha256$n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=",
		// The same without padding.
		"$sha256$n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg",
	} {
		if ok, err := h.Compare(ctx, []byte("test"), hash); !ok || err != nil {
			t.Errorf("Compare(test, %q) = %v, %v", hash, ok, err)
		}
	}
	// The example of Firebase's published scrypt parameters (mem_cost 14,
	// rounds 8), a second firescrypt vector independent of the shared file.
	fire := "$firescrypt$ln=14,r=8,p=1$42xEC+ixf3L2lw==" +
		"$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==" +
		"$Bw==$jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA=="
	if ok, err := h.Compare(ctx, []byte("user1password"), fire); !ok || err != nil {
		t.Errorf("firescrypt example: %v, %v", ok, err)
	}
	if ok, err := h.Compare(ctx, []byte("user1passwore"), fire); ok || err != nil {
		t.Errorf("firescrypt example, wrong password: %v, %v", ok, err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestKnown(t *testing.T) {
	h, err := NewHasher(Config{Dev: true})
	if err != nil {
		t.Fatal(err)
	}
	own, err := h.Hash(context.Background(), []byte("a password"))
	if err != nil {
		t.Fatal(err)
	}
	for hash, want := range map[string]bool{
		own: true,
		"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy": true,
		"plaintext":  false,
		"$argon2id$": false,
		"":           false,
		"$2a$99$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy": false,
	} {
		if got := h.Known(hash); got != want {
			t.Errorf("Known(%q) = %v, want %v", hash, got, want)
		}
	}
}

// A request that would wait longer than MaxWait, judged from how long
// computations have been taking, is refused at once.
func TestPoolMaxWait(t *testing.T) {
	p := &pool{size: 1, maxWaiters: 100, maxWait: 50 * time.Millisecond}
	p.observe(30 * time.Millisecond)
	ctx := context.Background()
	if err := p.acquire(ctx, 1); err != nil { // runs at once
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.acquire(ctx, 1) }() // waits about 30 ms: allowed
	time.Sleep(10 * time.Millisecond)
	if err := p.acquire(ctx, 1); !errors.Is(err, ErrOverloaded) { // would wait about 60 ms
		t.Fatalf("second waiter: %v, want ErrOverloaded", err)
	}
	p.release(1)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	p.release(1)
}

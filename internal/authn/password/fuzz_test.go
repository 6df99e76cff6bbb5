package password

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// fuzzLimits are far below productionLimits so that each fuzz input costs
// milliseconds; inputs above them must fail with ErrCostLimit.
var fuzzLimits = limits{
	maxPassword:     4096,
	maxHash:         4096,
	maxSaltKey:      1024,
	argon2MemoryKiB: 256,
	argon2Work:      1024,
	bcryptCost:      5,
	pbkdf2Work:      20_000,
	scryptMemory:    1 << 20,
	scryptWork:      4 << 20,
	shaCryptWork:    2_000_000,
}

// fuzzSeeds are cheap hashes of every scheme, valid and broken.
var fuzzSeeds = []struct {
	password, hash string
}{
	{"test", "$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw"},
	{"test", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"},
	{"test", "$2a$04$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6"},
	{"test", "$2y$05$GRvRO2nrpYTEuPQX6AieaOlZ4.7nMGsXpt.QWMev1zrP86JNspZbO"},
	{"test", "$pbkdf2-sha256$i=1000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI"},
	{"test", "$pbkdf2-sha224$i=10,l=16$A2nzbFd+wwzPSb+TqkF5Pw$9M4GM2yOYw/fZvsvQbF/0A"},
	{"test", "$scrypt$ln=1024,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE="},
	{"test", "$firescrypt$ln=10,r=8,p=1$sPtDhWcd1MfdAw==$xbSou7FOl6mChCyzpCPIQ7tku7nsQMTFtyOZSXXd7tjBa4NtimOx7v42Gv2SfzPQu1oxM2/k4SsbOu73wlKe1A==$Bw==$YE0dO4bwD4JnJafh6lZZfkp1MtKzuKAXQcDCJNJNyeCHairWHKENOkbh3dzwaCdizzOspwr/FITUVlnOAwPKyw=="},
	{"test123", "{SSHA}JFZFs0oHzxbMwkSJmYVeI8MnTDy/276a"},
	{"test123", "{SSHA512}xPUl/px+1cG55rUH4rzcwxdOIPSB2TingLpiJJumN2xyDWN4Ix1WQG3ihnvHaWUE8MYNkvMi5rf0C9NYixHsE6Yh59M="},
	{"test", "$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ="},
	{"test", "$sha256$n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="},
	{"test", "$md5$pf=e1NBTFR9e1BBU1NXT1JEfQ==$MTIz$q+RdKCgc+ipCAcm5ChQwlQ=="},
	{"test", "$md5-crypt$TVEiiKNb$SN6/pUaRQS/E8Jh46As2C/"},
	{"Hello world!", "$5$rounds=1000$roundstoolow$BiO0thfsibXRWnVAhxypb/bDS/8S0KICVgPbqzirYmC"},
	{"Hello world!", "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."},
	{"test", "$hmac-md4$MWQ5ZTI4Nzc2Zjg4YmE2MTQ5YjQ0OTMyOGE4NWU4YjA=$MTIzNDU="},
	{"", "$argon2id$v=19$m=4294967295,t=4294967295,p=255$$"},
	{"", "$scrypt$ln=9999999999,r=9999999999,p=9999999999$$"},
	{"", "$pbkdf2-sha1$i=0,l=0$$"},
	{"", "$sha512-crypt$rounds=9999999999$$"},
	{"", "$"},
	{"", "{SSHA}"},
}

func FuzzCompare(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s.password), s.hash)
	}
	for _, v := range loadImportVectors(f) {
		f.Add([]byte(v.Password), v.Hash)
	}
	h := newTestHasher(f, Config{Argon2: fastArgon2, Dev: true})
	h.lim = fuzzLimits
	ctx := context.Background()

	f.Fuzz(func(t *testing.T, password []byte, hash string) {
		// Work is bounded by fuzzLimits (TestCostLimits checks that the
		// limits are enforced), so no timing is asserted here: timings of a
		// loaded fuzzing machine are too noisy.
		ok, err := h.Compare(ctx, password, hash)
		if ok && err != nil {
			t.Fatalf("ok with error %v", err)
		}
		if err != nil && !errors.Is(err, ErrUnknownHashFormat) && !errors.Is(err, ErrMalformedHash) &&
			!errors.Is(err, ErrCostLimit) && !errors.Is(err, ErrPasswordTooLong) {
			t.Fatalf("undocumented error %v", err)
		}
		// The answer is deterministic.
		ok2, err2 := h.Compare(ctx, password, hash)
		if ok2 != ok || (err == nil) != (err2 == nil) {
			t.Fatalf("second Compare = %v, %v; first %v, %v", ok2, err2, ok, err)
		}
		rehash := h.NeedsRehash(hash)
		if err != nil && !errors.Is(err, ErrPasswordTooLong) && !rehash {
			t.Fatalf("NeedsRehash false for a hash Compare refuses: %v", err)
		}
		// A matching hash must not match a different password, except for
		// bcrypt past its 72 bytes.
		if ok && !strings.HasPrefix(hash, "$2") {
			other := append(bytes.Clone(password), 'x')
			if ok3, _ := h.Compare(ctx, other, hash); ok3 {
				t.Fatalf("hash %q matches both %q and %q", hash, password, other)
			}
		}
	})
}

func FuzzHashRoundTrip(f *testing.F) {
	f.Add([]byte("correct horse battery staple"))
	f.Add([]byte(""))
	f.Add([]byte("\x00\xff{PASSWORD}$"))
	argon := newTestHasher(f, Config{Argon2: fastArgon2, Dev: true})
	bc := newTestHasher(f, Config{Algorithm: AlgorithmBcrypt, Bcrypt: BcryptConfig{Cost: 4}, Dev: true})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, password []byte) {
		for _, h := range []*Hasher{argon, bc} {
			hash, err := h.Hash(ctx, password)
			if len(password) > h.MaxPasswordLength() {
				if !errors.Is(err, ErrPasswordTooLong) {
					t.Fatalf("%d-byte password: err = %v", len(password), err)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := h.Compare(ctx, password, hash); !ok || err != nil {
				t.Fatalf("Compare(own hash) = %v, %v", ok, err)
			}
			if h.NeedsRehash(hash) {
				t.Fatalf("NeedsRehash(own hash %q)", hash)
			}
		}
	})
}

func FuzzParseRange(f *testing.F) {
	f.Add("0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n00D4F6E8FA6EECAD2A3AA415EEC418D38EC:0\r\n")
	f.Add("ZZ18A45C4D1DEF81644B54AB7F969B88D65:1")
	f.Add("0018A45C4D1DEF81644B54AB7F969B88D65:99999999999999")
	f.Add(":\n\n:")
	f.Fuzz(func(t *testing.T, body string) {
		got, err := parseRange(strings.NewReader(body))
		if err != nil {
			return
		}
		for i, s := range got {
			if s.count == 0 {
				t.Fatal("zero count kept")
			}
			if s.hash[0] > 0x0f {
				t.Fatalf("suffix %x has more than 35 hex digits", s.hash)
			}
			if i > 0 && bytes.Compare(got[i-1].hash[:], s.hash[:]) > 0 {
				t.Fatal("not sorted")
			}
		}
	})
}

// TestFuzzLimitsRefuseVectors checks that the fuzz limits do bite: the
// expensive shared vectors are refused rather than computed.
func TestFuzzLimitsRefuseVectors(t *testing.T) {
	h := newTestHasher(t, Config{Argon2: fastArgon2, Dev: true})
	h.lim = fuzzLimits
	hash := "$2a$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6"
	if _, err := h.Compare(context.Background(), []byte("test"), hash); !errors.Is(err, ErrCostLimit) {
		t.Fatalf("err = %v, want ErrCostLimit", err)
	}
}

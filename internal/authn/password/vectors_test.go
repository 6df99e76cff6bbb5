package password

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// importVectorsPath is the shared file of Kratos import hash vectors, kept
// beside the repository (see ../shared/testdata/README.md).
var importVectorsPath = filepath.Join("..", "..", "..", "..", "shared", "testdata", "kratos-password-hash-import-vectors.json")

type importVector struct {
	Password string `json:"password"`
	Hash     string `json:"hash"`
	Match    bool   `json:"match"`
	Scheme   string `json:"scheme"`
}

// loadImportVectors reads the shared vectors, or returns nil when the file
// is absent.
func loadImportVectors(tb testing.TB) []importVector {
	tb.Helper()
	data, err := os.ReadFile(importVectorsPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		tb.Fatal(err)
	}
	var file struct {
		Source  string         `json:"_source"`
		Vectors []importVector `json:"vectors"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		tb.Fatal(err)
	}
	if len(file.Vectors) == 0 {
		tb.Fatal("vector file holds no vectors")
	}
	return file.Vectors
}

// wrongPassword returns a password that differs from p.
func wrongPassword(p string) string {
	if p == "" {
		return "x"
	}
	b := []byte(p)
	b[len(b)-1] ^= 1
	return string(b)
}

func TestImportVectors(t *testing.T) {
	vectors := loadImportVectors(t)
	if vectors == nil {
		t.Skip("shared vector file absent: " + importVectorsPath)
	}
	h := newTestHasher(t, Config{})
	schemes := map[string]bool{}
	for i, v := range vectors {
		schemes[v.Scheme] = true
		t.Run(v.Scheme, func(t *testing.T) {
			t.Parallel()
			ok, err := h.Compare(context.Background(), []byte(v.Password), v.Hash)
			if v.Match {
				if err != nil || !ok {
					t.Fatalf("vector %d: Compare(%q, %q) = %v, %v; want match", i, v.Password, v.Hash, ok, err)
				}
				// The same hash must refuse a different password. Under the
				// race detector a bcrypt above cost 12 takes some 20 s, so the
				// cost-12 vectors alone make this check there.
				if raceEnabled && strings.HasPrefix(v.Hash, "$2") && v.Hash[4:6] > "12" {
					return
				}
				ok, err = h.Compare(context.Background(), []byte(wrongPassword(v.Password)), v.Hash)
				if ok || err != nil {
					t.Fatalf("vector %d: wrong password: Compare = %v, %v; want false, nil", i, ok, err)
				}
				return
			}
			if ok {
				t.Fatalf("vector %d: Compare(%q, %q) matched; want no match", i, v.Password, v.Hash)
			}
			// An error must be one of the documented kinds, never a stray one.
			if err != nil && !errors.Is(err, ErrUnknownHashFormat) && !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("vector %d: unexpected error %v", i, err)
			}
			if v.Scheme == "unknown" || v.Scheme == "shaNotExistent" {
				if !errors.Is(err, ErrUnknownHashFormat) {
					t.Fatalf("vector %d: err = %v, want ErrUnknownHashFormat", i, err)
				}
			}
		})
	}
	for _, want := range []string{"2a", "argon2id", "argon2i", "pbkdf2-sha256", "pbkdf2-sha512", "scrypt", "firescrypt",
		"{SSHA}", "{SSHA256}", "{SSHA512}", "sha1", "sha256", "sha512", "md5", "md5-crypt", "sha256-crypt",
		"sha512-crypt", "hmac-md4", "hmac-sha512"} {
		if !schemes[want] {
			t.Errorf("vector file has no %s vector", want)
		}
	}
}

// TestImportVectorErrorKinds pins how the malformed vectors are classified:
// a structural problem is ErrMalformedHash, not a silent mismatch.
func TestImportVectorErrorKinds(t *testing.T) {
	h := newTestHasher(t, Config{})
	malformedHashes := []string{
		"$pbkdf2-sha256$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI",
		"$pbkdf2-sha256$aaaa$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI",
		"$pbkdf2-sha256$i=100000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpII",
		"$pbkdf2-sha512$I=100000,l=32$bdHBpn7OWOivJMVJypy2UqR0UnaD5prQXRZevj/05YU$+wArTfv1a+bNGO1iZrmEdVjhA+lL11wF4/IxpgYfPwc",
		"$scrypt$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
		"$scrypt$ln=16384,r=8,p=1$(2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
		"$scrypt$ln=16385,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
		"$scrypt$ln=abc,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
		// Non-canonical base64: only the unused low bits of the last
		// character differ from a valid hash.
		"$scrypt$ln=16384,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYF=",
		"$argon2id$v=19$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRN2",
		"{SSHA}tooshort",
		"$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$5opmkgz03r$2qU2SGWP8viTM1md3FiI3+rjWXQ=",
		"$sha1$pf=$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ=",
		"$sha1$$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ=",
		"$sha1$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ=",
		"$md5$$$",
		"$md5$pf=$$",
		"$md5-crypt$$$",
		"$sha256-crypt$$$",
		"$sha512-crypt$$$",
		// A format without {PASSWORD} would accept every password.
		"$sha1$pf=e1NBTFR9$NW9wbWtnejAzcg==$2qU2SGWP8viTM1md3FiI3+rjWXQ=",
		"$argon2id$v=16$m=32,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",
		"$argon2id$v=19$m=31,t=2,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",
		"$argon2id$v=19$t=2,m=32,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",
		"$2a$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL",
		"$2a$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbk+L6",
		"$2a$1x$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6",
		"$hmac-sha1$NDMyNjcxZTUyY2Y2YTBmYjZjZDE2NjQxYjAwNjFiZjAwOGEzNWM=$MTIzNDU=",
		"$firescrypt$ln=14,r=8,p=1$sPtDhWcd1MfdAw==$xbSou7FOl6mChCyzpCPIQ7tku7nsQMTFtyOZSXXd7tjBa4NtimOx7v42Gv2SfzPQu1oxM2/k4SsbOu73wlKe1A==$Bw==",
		"$md5$CY9rzUYh\n03PK3k6DJie09g==",
	}
	for _, hash := range malformedHashes {
		ok, err := h.Compare(context.Background(), []byte("test"), hash)
		if ok || !errors.Is(err, ErrMalformedHash) {
			t.Errorf("Compare(%q) = %v, %v; want ErrMalformedHash", hash, ok, err)
		}
	}
	for _, hash := range []string{"", "plain", "$unknown$12$x", "{SHA}abc", "$argon2d$v=19$m=32,t=2,p=4$c2FsdHNhbHQ$aGFzaGhhc2g", "$pbkdf2-md5$i=1,l=16$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA", "$2x$12$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6"} {
		ok, err := h.Compare(context.Background(), []byte("test"), hash)
		if ok || !errors.Is(err, ErrUnknownHashFormat) {
			t.Errorf("Compare(%q) = %v, %v; want ErrUnknownHashFormat", hash, ok, err)
		}
	}
}

// TestCostLimits checks that hashes demanding absurd work are refused
// before any of it is done.
func TestCostLimits(t *testing.T) {
	h := newTestHasher(t, Config{})
	for _, hash := range []string{
		"$argon2id$v=19$m=4194304,t=1,p=1$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",
		"$argon2id$v=19$m=65536,t=4000000000,p=1$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",
		"$argon2i$v=19$m=1048576,t=3,p=4$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",
		"$argon2id$v=19$m=1048576,t=2,p=1$cm94YnRVOW5jZzFzcVE4bQ$MNzk5BtR2vUhrp6qQEjRNw",
		"$pbkdf2-sha512$i=3000000,l=32$bdHBpn7OWOivJMVJypy2UqR0UnaD5prQXRZevj/05YU$+wArTfv1a+bNGO1iZrmEdVjhA+lL11wF4/IxpgYfPwc",
		"$pbkdf2-sha384$i=3000000,l=32$xDInuz7Y/DPzZUnCaQXJmg$7ICaEa6jEqxbbCBbv4YzrBf39KYNAtc3Bj0QWKeB3Ck",
		"$scrypt$ln=2097152,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
		"$scrypt$ln=131072,r=8,p=16$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
		"$sha512-crypt$rounds=7000000$3LVbIAVxR//cRajw$uuNasMW.RYxlGzIRFU1Was70BPSa933AjxhZIGJdJBOlqJAHlgqa0yuiuq5JHF/ryNGryJkj87G9i3G2HPSXg1",
		"$2a$31$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6",
		"$2b$17$o6hx.Wog/wvFSkT/Bp/6DOxCtLRTDj7lm9on9suF/WaCGNVHbkfL6",
		"$pbkdf2-sha256$i=4000000000,l=32$1jP+5Zxpxgtee/iPxGgOz0RfE9/KJuDElP1ley4VxXc$QJxzfvdbHYBpydCbHoFg3GJEqMFULwskiuqiJctoYpI",
		"$pbkdf2-sha1$i=2000000,l=200$" + strings.Repeat("A", 22) + "$" + strings.Repeat("A", 267) + "=",
		"$scrypt$ln=1073741824,r=8,p=1$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
		"$scrypt$ln=1048576,r=8,p=16$2npRo7P03Mt8keSoMbyD/tKFWyUzjiQf2svUaNDSrhA=$MiCzNcIplSMqSBrm4HckjYqYhaVPPjTARTzwB1cVNYE=",
		"$firescrypt$ln=30,r=8,p=1$sPtDhWcd1MfdAw==$xbSou7FOl6mChCyzpCPIQ7tku7nsQMTFtyOZSXXd7tjBa4NtimOx7v42Gv2SfzPQu1oxM2/k4SsbOu73wlKe1A==$Bw==$YE0dO4bwD4JnJafh6lZZfkp1MtKzuKAXQcDCJNJNyeCHairWHKENOkbh3dzwaCdizzOspwr/FITUVlnOAwPKyw==",
		"$sha512-crypt$rounds=999999999$3LVbIAVxR//cRajw$uuNasMW.RYxlGzIRFU1Was70BPSa933AjxhZIGJdJBOlqJAHlgqa0yuiuq5JHF/ryNGryJkj87G9i3G2HPSXg1",
	} {
		ok, err := h.Compare(context.Background(), []byte("test"), hash)
		if ok || !errors.Is(err, ErrCostLimit) {
			t.Errorf("Compare(%.60q) = %v, %v; want ErrCostLimit", hash, ok, err)
		}
	}
	// A long password lowers the rounds sha-crypt may take.
	long := []byte(strings.Repeat("p", 500))
	hash := "$sha256-crypt$rounds=535000$05R.9KB6UC2kLI3w$Q/zslzx./JjkAVPTwp6th7nW5l7JU91Gte/UmIh.U78"
	if _, err := h.Compare(context.Background(), long, hash); !errors.Is(err, ErrCostLimit) {
		t.Errorf("sha-crypt with a 500-byte password: err = %v, want ErrCostLimit", err)
	}
	if _, err := h.Compare(context.Background(), make([]byte, 4097), hash); !errors.Is(err, ErrPasswordTooLong) {
		t.Errorf("4097-byte password: err = %v, want ErrPasswordTooLong", err)
	}
}

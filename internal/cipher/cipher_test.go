package cipher

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

const (
	secretA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	secretB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func mustNew(t *testing.T, secrets ...string) *Cipher {
	t.Helper()
	c, err := New(secrets)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewRefusesBadSecrets(t *testing.T) {
	for _, secrets := range [][]string{nil, {}, {"short"}, {secretA, strings.Repeat("x", 33)}, {""}} {
		if _, err := New(secrets); err == nil {
			t.Errorf("New(%q) accepted", secrets)
		}
	}
	if _, err := New([]string{strings.Repeat("é", 32)}); err != nil {
		t.Errorf("32 non-ASCII characters: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	c := mustNew(t, secretA)
	for _, pt := range [][]byte{nil, {}, []byte("x"), bytes.Repeat([]byte("secret"), 1000)} {
		ct, err := c.Encrypt(pt)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(ct, "secret") {
			t.Fatal("ciphertext contains the plaintext")
		}
		got, err := c.Decrypt(ct)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatalf("round trip: got %q want %q", got, pt)
		}
	}
}

func TestNoncesAreRandom(t *testing.T) {
	c := mustNew(t, secretA)
	a, _ := c.Encrypt([]byte("same"))
	b, _ := c.Encrypt([]byte("same"))
	if a == b {
		t.Fatal("two encryptions of the same plaintext are equal")
	}
}

func TestRotation(t *testing.T) {
	old := mustNew(t, secretA)
	ct, err := old.Encrypt([]byte("kept"))
	if err != nil {
		t.Fatal(err)
	}
	rotated := mustNew(t, secretB, secretA)
	got, err := rotated.Decrypt(ct)
	if err != nil || string(got) != "kept" {
		t.Fatalf("old secret second: %q, %v", got, err)
	}
	// New ciphertexts use the new secret: the old cipher cannot read them.
	ct2, _ := rotated.Encrypt([]byte("new"))
	if _, err := old.Decrypt(ct2); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old cipher on new ciphertext: %v, want ErrUnknownKey", err)
	}
	// Once the old secret is dropped, its ciphertexts are refused clearly.
	if _, err := mustNew(t, secretB).Decrypt(ct); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("dropped secret: %v, want ErrUnknownKey", err)
	}
}

func TestTamperDetection(t *testing.T) {
	c := mustNew(t, secretA)
	ct, _ := c.Encrypt([]byte("do not touch"))
	raw, _ := base64.RawURLEncoding.DecodeString(ct)
	for i := range raw {
		b := bytes.Clone(raw)
		b[i] ^= 0x01
		_, err := c.Decrypt(base64.RawURLEncoding.EncodeToString(b))
		if err == nil {
			t.Fatalf("flipping byte %d went unnoticed", i)
		}
		want := ErrTampered
		if i < idLen {
			want = ErrUnknownKey
		}
		if !errors.Is(err, want) {
			t.Fatalf("byte %d: %v, want %v", i, err, want)
		}
	}
	for _, bad := range []string{"", "!!!", ct[:10], ct + "A", base64.RawURLEncoding.EncodeToString(raw[:len(raw)-1])} {
		if _, err := c.Decrypt(bad); err == nil {
			t.Errorf("Decrypt(%q) succeeded", bad)
		}
	}
}

func FuzzDecrypt(f *testing.F) {
	c, err := New([]string{secretA, secretB})
	if err != nil {
		f.Fatal(err)
	}
	ct, _ := c.Encrypt([]byte("seed"))
	f.Add(ct)
	f.Add("")
	f.Add("AAAA")
	f.Add(strings.Repeat("A", 60))
	f.Fuzz(func(t *testing.T, s string) {
		pt, err := c.Decrypt(s)
		if err == nil {
			// Whatever decrypts must re-encrypt and decrypt to the same.
			ct, err := c.Encrypt(pt)
			if err != nil {
				t.Fatal(err)
			}
			back, err := c.Decrypt(ct)
			if err != nil || !bytes.Equal(back, pt) {
				t.Fatalf("round trip of decrypted input failed: %v", err)
			}
		}
	})
}

package password

import (
	"crypto/md5"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
)

// This file implements the crypt(3) MD5 scheme ("$1$", Poul-Henning Kamp's
// md5crypt) and the SHA-256/SHA-512 schemes ("$5$", "$6$", Ulrich Drepper's
// "Unix crypt using SHA-256 and SHA-512" specification). Both produce the
// hash part of the encoded string in crypt's own base-64 alphabet.

const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

const (
	md5CryptSaltMax   = 8
	md5CryptRounds    = 1000
	md5CryptEncoded   = 22
	shaCryptSaltMax   = 16
	shaCryptDefRounds = 5000
	shaCryptMinRounds = 1000
	shaCryptMaxRounds = 999_999_999
	sha256CryptEncLen = 43
	sha512CryptEncLen = 86
)

// cryptB64 appends n characters encoding the 24-bit group b2 b1 b0, least
// significant six bits first.
func cryptB64(dst []byte, b2, b1, b0 byte, n int) []byte {
	w := uint32(b2)<<16 | uint32(b1)<<8 | uint32(b0)
	for ; n > 0; n-- {
		dst = append(dst, cryptAlphabet[w&0x3f])
		w >>= 6
	}
	return dst
}

// md5Crypt returns the 22-character hash part of the "$1$" scheme for the
// password and salt (at most 8 bytes; the caller enforces it).
func md5Crypt(password, salt []byte) []byte {
	const magic = "$1$"

	alt := md5.New()
	alt.Write(password)
	alt.Write(salt)
	alt.Write(password)
	altSum := alt.Sum(nil)

	ctx := md5.New()
	ctx.Write(password)
	ctx.Write([]byte(magic))
	ctx.Write(salt)
	for n := len(password); n > 0; n -= md5.Size {
		ctx.Write(altSum[:min(n, md5.Size)])
	}
	// One byte per bit of the length: a zero byte for a set bit, the first
	// byte of the password for a clear one.
	for n := len(password); n != 0; n >>= 1 {
		if n&1 != 0 {
			ctx.Write([]byte{0})
		} else {
			ctx.Write(password[:1])
		}
	}
	sum := ctx.Sum(nil)

	for i := range md5CryptRounds {
		r := md5.New()
		if i&1 != 0 {
			r.Write(password)
		} else {
			r.Write(sum)
		}
		if i%3 != 0 {
			r.Write(salt)
		}
		if i%7 != 0 {
			r.Write(password)
		}
		if i&1 != 0 {
			r.Write(sum)
		} else {
			r.Write(password)
		}
		sum = r.Sum(sum[:0])
	}

	out := make([]byte, 0, md5CryptEncoded)
	out = cryptB64(out, sum[0], sum[6], sum[12], 4)
	out = cryptB64(out, sum[1], sum[7], sum[13], 4)
	out = cryptB64(out, sum[2], sum[8], sum[14], 4)
	out = cryptB64(out, sum[3], sum[9], sum[15], 4)
	out = cryptB64(out, sum[4], sum[10], sum[5], 4)
	out = cryptB64(out, 0, 0, sum[11], 2)
	return out
}

// The byte order in which the final SHA-crypt digest is encoded, three bytes
// (most significant first) per four characters.
var (
	sha256CryptOrder = [][3]int{
		{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14},
		{15, 25, 5}, {6, 16, 26}, {27, 7, 17}, {18, 28, 8}, {9, 19, 29},
	}
	sha512CryptOrder = [][3]int{
		{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4},
		{47, 5, 26}, {6, 27, 48}, {28, 49, 7}, {50, 8, 29}, {9, 30, 51},
		{31, 52, 10}, {53, 11, 32}, {12, 33, 54}, {34, 55, 13}, {56, 14, 35},
		{15, 36, 57}, {37, 58, 16}, {59, 17, 38}, {18, 39, 60}, {40, 61, 19},
		{62, 20, 41},
	}
)

// shaCrypt returns the hash part of the "$5$" (sha512 false) or "$6$"
// (sha512 true) scheme. rounds must already be clamped to the range of the
// specification and salt truncated to 16 bytes.
func shaCrypt(sha512Variant bool, password, salt []byte, rounds int) []byte {
	newHash := sha256.New
	if sha512Variant {
		newHash = sha512.New
	}
	sum := func(h hash.Hash, dst []byte) []byte { return h.Sum(dst[:0]) }

	// Digest B: password, salt, password.
	b := newHash()
	b.Write(password)
	b.Write(salt)
	b.Write(password)
	bSum := b.Sum(nil)
	size := len(bSum)

	// Digest A: password, salt, then as many bytes of B as the password is
	// long, then B or the password for each bit of the length.
	a := newHash()
	a.Write(password)
	a.Write(salt)
	n := len(password)
	for ; n > size; n -= size {
		a.Write(bSum)
	}
	a.Write(bSum[:n])
	for n := len(password); n > 0; n >>= 1 {
		if n&1 != 0 {
			a.Write(bSum)
		} else {
			a.Write(password)
		}
	}
	aSum := a.Sum(nil)

	// P sequence: the digest of the password repeated once per byte of it,
	// stretched or cut to the password's length.
	dp := newHash()
	for range len(password) {
		dp.Write(password)
	}
	pSeq := repeatTo(dp.Sum(nil), len(password))

	// S sequence: the digest of the salt repeated 16 + A[0] times, cut to
	// the salt's length.
	ds := newHash()
	for range 16 + int(aSum[0]) {
		ds.Write(salt)
	}
	sSeq := repeatTo(ds.Sum(nil), len(salt))

	c := newHash()
	prev := aSum
	for i := range rounds {
		c.Reset()
		if i&1 != 0 {
			c.Write(pSeq)
		} else {
			c.Write(prev)
		}
		if i%3 != 0 {
			c.Write(sSeq)
		}
		if i%7 != 0 {
			c.Write(pSeq)
		}
		if i&1 != 0 {
			c.Write(prev)
		} else {
			c.Write(pSeq)
		}
		prev = sum(c, prev)
	}

	if !sha512Variant {
		out := make([]byte, 0, sha256CryptEncLen)
		for _, g := range sha256CryptOrder {
			out = cryptB64(out, prev[g[0]], prev[g[1]], prev[g[2]], 4)
		}
		return cryptB64(out, 0, prev[31], prev[30], 3)
	}
	out := make([]byte, 0, sha512CryptEncLen)
	for _, g := range sha512CryptOrder {
		out = cryptB64(out, prev[g[0]], prev[g[1]], prev[g[2]], 4)
	}
	return cryptB64(out, 0, 0, prev[63], 2)
}

// repeatTo returns n bytes made of d repeated.
func repeatTo(d []byte, n int) []byte {
	out := make([]byte, n)
	for i := 0; i < n; i += len(d) {
		copy(out[i:], d)
	}
	return out
}

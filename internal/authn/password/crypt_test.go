package password

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// cryptVectors were produced by glibc/libxcrypt crypt(3). They cover empty
// passwords and salts, passwords longer than one digest, multi-byte UTF-8,
// default and explicit rounds, and 16-character salts.
var cryptVectors = []struct{ password, hash string }{
	{"", "$1$abc$Or2rbeUYTvt12aiVzMuS/."},
	{"Hello world!", "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1"},
	{strings.Repeat("a", 40), "$1$12345678$beiWYJUUHF.ZVo9A4ag9w0"},
	{"pässwörd", "$1$x$JCGkBY00FL7KZ2Wf1VmLX."},
	{"", "$5$saltstring$FdNfA4gXqvCeO6iZs7G/.wwwoywYZqo0l1pwmfWaBA7"},
	{"Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"},
	{"Hello world!", "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"},
	{"Hello world!", "$5$rounds=1000$roundstoolow$BiO0thfsibXRWnVAhxypb/bDS/8S0KICVgPbqzirYmC"},
	{strings.Repeat("b", 70), "$5$rounds=1400$anotherlongsalts$AmaOhEirlcPLrv6ma0.tOXIs6GogTVOfOSNfE6faUG8"},
	{"x", "$5$$0Uor7kq6CTPY0DtjOiw.I2DuJSUfiZxCqkrafMVjNc8"},
	{"", "$6$saltstring$kyGrqt6gmjAdtFLPrflEFifSYLCWWq1pyx95SvqinLDy2UHmj0sTF0MSLMwxPFZc3tu5kQckI8fks0zOPda3n1"},
	{"Hello world!", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"},
	{"Hello world!", "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."},
	{strings.Repeat("c", 130), "$6$rounds=1400$anotherlongsalts$r9euITsK4va472rZiE94adhE/bqFnGOqJN8oEmTjuMrxKHICExX/dhy0t8Q9fFcMMaadjJY56h7OTjBHtp8fS1"},
	{"we have a short salt string but not a short password", "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0"},
	{"clamp me", "$6$rounds=5000$explicit$byEnrMipcO4voBw5fV5vODyO7YfSfPA62cxq2boiI83mSjlldYsarorLfb9KRYdrr5kvs7ZzMEEowWwyilAjG1"},
}

func TestCryptSchemes(t *testing.T) {
	h := newTestHasher(t, Config{})
	ctx := context.Background()
	for _, v := range cryptVectors {
		ok, err := h.Compare(ctx, []byte(v.password), v.hash)
		if err != nil || !ok {
			t.Errorf("Compare(%q, %q) = %v, %v; want match", v.password, v.hash, ok, err)
		}
		ok, err = h.Compare(ctx, []byte(wrongPassword(v.password)), v.hash)
		if err != nil || ok {
			t.Errorf("Compare(wrong, %q) = %v, %v; want mismatch", v.hash, ok, err)
		}
		// The same hash under its Ory name.
		ory := strings.NewReplacer("$1$", "$md5-crypt$", "$5$", "$sha256-crypt$", "$6$", "$sha512-crypt$").Replace(v.hash[:3]) + v.hash[3:]
		if ok, err := h.Compare(ctx, []byte(v.password), ory); err != nil || !ok {
			t.Errorf("Compare(%q, %q) = %v, %v; want match", v.password, ory, ok, err)
		}
	}
}

func TestCryptRoundsClamp(t *testing.T) {
	h := newTestHasher(t, Config{})
	// The specification raises rounds below 1000 to 1000.
	hash := "$5$rounds=10$roundstoolow$BiO0thfsibXRWnVAhxypb/bDS/8S0KICVgPbqzirYmC"
	if ok, err := h.Compare(context.Background(), []byte("Hello world!"), hash); err != nil || !ok {
		t.Fatalf("Compare = %v, %v; want match with rounds clamped to 1000", ok, err)
	}
}

func TestCryptMalformed(t *testing.T) {
	h := newTestHasher(t, Config{})
	for _, hash := range []string{
		"$1$toolongsalt$Or2rbeUYTvt12aiVzMuS/.",
		"$1$abc$Or2rbeUYTvt12aiVzMuS/",
		"$1$abc$Or2rbeUYTvt12aiVzMuS/.$",
		"$5$rounds=x$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
		"$5$saltstringsaltstringX$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
		"$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc",
		"$6$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
		"$6$saltstring",
	} {
		if ok, err := h.Compare(context.Background(), []byte("x"), hash); ok || !errors.Is(err, ErrMalformedHash) {
			t.Errorf("Compare(%q) = %v, %v; want ErrMalformedHash", hash, ok, err)
		}
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestCeilingJSON(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"--duration", "300ms", "--json"}, &out); err != nil {
		t.Fatal(err)
	}
	var r result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if r.Hash != "argon2id m=19456 t=2 p=1" {
		t.Errorf("hash = %q, want the server's default argon2id parameters", r.Hash)
	}
	if r.Comparisons < 1 || r.CPUSeconds <= 0 || r.PerCPUSecond <= 0 || r.MsPerCompare <= 0 {
		t.Errorf("nothing measured: %+v", r)
	}
	// A comparison of 19 MiB, two passes, takes milliseconds, not microseconds.
	if r.MsPerCompare < 1 {
		t.Errorf("%.3f ms per comparison: the hash cannot be this cheap", r.MsPerCompare)
	}
}

func TestCeilingRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--duration", "0s"},
		{"--duration", "11m"},
		{"--algorithm", "md5"},
	} {
		if err := run(args, &bytes.Buffer{}); err == nil {
			t.Errorf("%s: accepted", strings.Join(args, " "))
		}
	}
}

func TestHashParams(t *testing.T) {
	for in, want := range map[string]string{
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA": "argon2id m=19456 t=2 p=1",
		"$2a$12$abcdefghijklmnopqrstuv":                "bcrypt cost 12",
		"$2b$10$x":                                     "bcrypt cost 10",
		"plain":                                        "unknown",
		"$2":                                           "unknown",
	} {
		if got := hashParams(in); got != want {
			t.Errorf("hashParams(%q) = %q, want %q", in, got, want)
		}
	}
}

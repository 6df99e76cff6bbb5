package provider

import (
	"errors"
	"testing"
)

// A grant is decoded once per stored ciphertext: the same row reuses it,
// changed data (a device code's poll state) decodes again, and a failed
// decode is not cached.
func TestGrantCache(t *testing.T) {
	var c grantCache
	decodes := 0
	decode := func(r TokenRecord) (*Grant, error) {
		decodes++
		if r.Data == "bad" {
			return nil, errors.New("bad data")
		}
		return &Grant{ClientID: r.Data}, nil
	}
	rec := TokenRecord{Signature: "s1", Data: "v1"}
	for range 3 {
		g, err := c.open(rec, decode)
		if err != nil || g.ClientID != "v1" {
			t.Fatalf("open = %+v, %v", g, err)
		}
	}
	if decodes != 1 {
		t.Fatalf("decoded %d times, want 1", decodes)
	}
	rec.Data = "v2"
	if g, _ := c.open(rec, decode); g.ClientID != "v2" || decodes != 2 {
		t.Fatalf("changed data: got %q after %d decodes", g.ClientID, decodes)
	}
	bad := TokenRecord{Signature: "s2", Data: "bad"}
	for range 2 {
		if _, err := c.open(bad, decode); err == nil {
			t.Fatal("bad data decoded")
		}
	}
	if decodes != 4 {
		t.Fatalf("a failed decode was cached: %d decodes", decodes)
	}
}

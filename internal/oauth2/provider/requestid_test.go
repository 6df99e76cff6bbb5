package provider

import (
	"bytes"
	"sort"
	"testing"
	"time"
)

// Request ids made later sort later, as strings and as the bytes they
// encode, stay 22 URL-safe characters, and do not repeat within a
// millisecond.
func TestOrderedIDSortsByTime(t *testing.T) {
	start := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	var ids []string
	seen := map[string]bool{}
	for i := range 2000 {
		at := start.Add(time.Duration(i/4) * time.Millisecond) // four ids per millisecond
		id := orderedID(at)
		if len(id) != 22 {
			t.Fatalf("id %q has %d characters", id, len(id))
		}
		for _, c := range []byte(id) {
			if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
				t.Fatalf("id %q has %q", id, c)
			}
		}
		if seen[id] {
			t.Fatalf("id %q made twice", id)
		}
		seen[id] = true
		ids = append(ids, id)
	}
	for i := 4; i < len(ids); i++ {
		if ids[i-4] >= ids[i] {
			t.Fatalf("id of a later millisecond %q does not sort after %q", ids[i], ids[i-4])
		}
	}
	// The alphabet is in byte order: decoding any sorted ids gives sorted bytes.
	sorted := append([]string(nil), ids...)
	sort.Strings(sorted)
	for i := 1; i < len(sorted); i++ {
		a, _ := sortable.DecodeString(sorted[i-1])
		b, _ := sortable.DecodeString(sorted[i])
		if bytes.Compare(a, b) >= 0 {
			t.Fatalf("%q < %q as strings but not as bytes", sorted[i-1], sorted[i])
		}
	}
	// Across a change of the millisecond's highest byte as well.
	if orderedID(time.UnixMilli(0xff_ffff_ffff)) >= orderedID(time.UnixMilli(0x1_00_0000_0000)) {
		t.Fatal("ids around a carry into the next byte sort wrong")
	}
}

// Ids are time-ordered only for a single writer; with concurrent writers
// two ids of the same millisecond share no prefix beyond chance.
func TestRequestIDsFollowTheWriter(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	one := &Service{opts: Options{SingleWriter: true}}
	if a, b := one.newRequestID(at), one.newRequestID(at.Add(time.Second)); a[:6] != b[:6] || a >= b {
		t.Fatalf("single writer: %q then %q, want a shared time prefix and order", a, b)
	}
	many := &Service{opts: Options{}}
	same := 0
	for range 50 {
		if many.newRequestID(at)[:4] == many.newRequestID(at)[:4] {
			same++
		}
	}
	if same > 2 {
		t.Fatalf("concurrent writers: %d of 50 id pairs of one millisecond share four leading characters", same)
	}
}

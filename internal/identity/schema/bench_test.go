package schema

import (
	"context"
	"testing"
)

// BenchmarkValidate measures validating a typical registration: an email
// address and a name against the built-in schema.
func BenchmarkValidate(b *testing.B) {
	r, err := NewRegistry(context.Background(), nil, "", Options{})
	if err != nil {
		b.Fatal(err)
	}
	s := r.Default()
	valid := []byte(`{"email":"alice@example.com","name":{"first":"Alice","last":"Liddell"}}`)
	invalid := []byte(`{"email":"alice","name":{"first":"Alice","nick":"Al"}}`)
	b.Run("valid", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Validate(valid); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("invalid", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Validate(invalid); err == nil {
				b.Fatal("accepted")
			}
		}
	})
	b.Run("extract", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Extract(valid); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Package storage holds the sentinel errors every store returns. Domain packages
// compare against these with errors.Is and never see driver errors.
package storage

import "errors"

var (
	// ErrNotFound means the requested row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a uniqueness or foreign-key constraint refused the write.
	ErrConflict = errors.New("conflict")
	// ErrUnavailable means the database could not be reached or is shutting down.
	ErrUnavailable = errors.New("database unavailable")
	// ErrBehind means the database schema is older than this binary expects.
	ErrBehind = errors.New("database schema is behind: run `warden migrate up`")
)

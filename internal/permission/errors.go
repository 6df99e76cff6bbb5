package permission

import (
	"errors"

	"github.com/warden-iam/warden/internal/permission/tuple"
)

// Errors the service returns; the HTTP and gRPC layers map them to statuses.
var (
	ErrUnknownNamespace = errors.New("unknown namespace")
	ErrUnknownRelation  = errors.New("unknown relation")
	ErrInvalidTuple     = tuple.ErrInvalid
	ErrMalformedTuple   = tuple.ErrMalformed
	ErrMaxDepth         = errors.New("max depth reached")
	ErrBadSnaptoken     = errors.New("invalid snaptoken")
	ErrBadPageToken     = errors.New("invalid page token")
	ErrTooLarge         = errors.New("request too large")
	ErrNoModel          = errors.New("no permission model")
)

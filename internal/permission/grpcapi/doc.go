// Package grpcapi serves the permission service over the Keto-compatible gRPC
// API (api/proto/ory/keto): CheckService, ExpandService, ReadService,
// NamespacesService, VersionService and the OPL SyntaxService for reads,
// WriteService for writes, plus the standard gRPC health service and server
// reflection.
//
// The server built by NewServer is an http.Handler (grpc.Server.ServeHTTP),
// so the application mounts it on the same listeners as the REST API, which
// speak HTTP/1.1 and unencrypted HTTP/2: the public listener gets the read
// services, the admin listener the read and write services.
//
// Consistency: every answer that has a snaptoken (check, batch check, list,
// transact, delete) also carries it in the "x-snaptoken" response header, as
// the REST API does in X-Snaptoken; DeleteRelationTuples and
// ListRelationTuples have no message field for it. TransactRelationTuples
// returns the transaction's snaptoken at the index of every insert and
// delete (deletes too, so a check after a revocation can carry it), and ""
// at the index of an ignored ACTION_UNSPECIFIED delta.
//
// Errors: an unknown namespace is NotFound; an invalid tuple or query, an
// unknown relation, a snaptoken or page token not issued by this server and
// a request over a limit are InvalidArgument; a cancelled or timed-out call
// is Canceled or DeadlineExceeded; anything else is Internal with a generic
// message, the cause being logged. A check whose depth budget ran out before
// an answer was found is allowed=false (in a batch check, allowed=false with
// an error string).
package grpcapi

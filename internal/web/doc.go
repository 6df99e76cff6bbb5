// Package web is the HTTP plumbing every service shares: a router whose handlers
// return errors, one error writer that answers in Ory's error envelope, JSON
// helpers with size limits, request ids, access logs, metrics, panic recovery,
// security headers and the health endpoints.
//
// Invariants: every error a client sees has the envelope
// {"error":{"code","status","reason","message","id","request"}}; a 500 never
// carries the internal message, only the request id under which it was logged.
package web

// Package openapi holds Warden's OpenAPI 3.0 document: every HTTP route of
// both listeners, with its parameters, bodies, responses and the listener
// that serves it. The document is embedded in the binary and served at
// GET /openapi.json; its tests check it against the routes the app mounts.
package openapi

import (
	_ "embed"
	"net/http"
)

//go:embed openapi.json
var document []byte

// Document returns a copy of the OpenAPI document (JSON).
func Document() []byte { return append([]byte(nil), document...) }

// Serve answers with the document. Its signature is that of web.Handler, so
// it mounts directly on a web.Router.
func Serve(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(document)
	return nil
}

package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"sync"
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// encodeJSON encodes v as the API writes JSON (no HTML escaping, one
// trailing newline) into a pooled buffer, which the caller puts back.
func encodeJSON(v any) (*bytes.Buffer, error) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	return buf, enc.Encode(v)
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	buf, err := encodeJSON(v)
	defer bufPool.Put(buf)
	if err != nil {
		buf.Reset()
		status = http.StatusInternalServerError
		buf.WriteString(`{"error":{"code":500,"status":"Internal Server Error","message":"response could not be encoded"}}` + "\n")
	}
	WriteJSONBytes(w, status, buf.Bytes())
}

// WriteJSONBytes writes b, a JSON document built by the caller, with the
// given status and the headers of WriteJSON.
func WriteJSONBytes(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// AppendJSON appends v encoded as WriteJSON encodes it (no HTML escaping,
// no trailing newline).
func AppendJSON(b []byte, v any) ([]byte, error) {
	buf, err := encodeJSON(v)
	defer bufPool.Put(buf)
	if err != nil {
		return nil, err
	}
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...), nil
}

// DecodeJSON reads one JSON value from the request body into v. Malformed JSON,
// wrong types, trailing data, a non-JSON content type and oversized bodies all
// become 4xx errors in the envelope, naming what was wrong.
func DecodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return NewError(http.StatusUnsupportedMediaType, "Content-Type must be application/json, not %q.", ct)
		}
	}
	if r.Body == nil {
		return BadRequest("The request body is empty.")
	}
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonError(err)
		}
		return BadRequest("The request body must hold exactly one JSON value.")
	}
	return nil
}

func jsonError(err error) error {
	var (
		mbe *http.MaxBytesError
		se  *json.SyntaxError
		te  *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &mbe):
		return NewError(http.StatusRequestEntityTooLarge, "The request body exceeds %d bytes.", mbe.Limit)
	case errors.Is(err, io.EOF):
		return BadRequest("The request body is empty.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return BadRequest("The request body is not valid JSON: unexpected end of input.")
	case errors.As(err, &se):
		return BadRequest("The request body is not valid JSON at byte %d: %s.", se.Offset, se.Error())
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(body)"
		}
		return BadRequest("Field %s must be %s, not %s.", field, jsonTypeName(te.Type), te.Value).WithDetails("field", field)
	}
	return BadRequest("The request body could not be decoded: %s.", err.Error())
}

// jsonTypeName names a Go type the way a JSON client thinks of it.
func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a " + t.String()
}

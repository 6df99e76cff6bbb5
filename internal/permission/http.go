package permission

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/warden-iam/warden/internal/permission/opl"
	"github.com/warden-iam/warden/internal/permission/tuple"
	"github.com/warden-iam/warden/internal/web"
)

// Handler serves the Keto-compatible REST API.
type Handler struct{ s *Service }

// NewHandler returns the REST handler of s.
func NewHandler(s *Service) *Handler { return &Handler{s: s} }

// MountRead registers the read API (checks, lists, expand, namespaces, OPL).
func (h *Handler) MountRead(r *web.Router) {
	r.Handle("GET /relation-tuples", h.list)
	r.Handle("GET /relation-tuples/check", h.checkGet(true))
	r.Handle("POST /relation-tuples/check", h.checkPost(true))
	r.Handle("GET /relation-tuples/check/openapi", h.checkGet(false))
	r.Handle("POST /relation-tuples/check/openapi", h.checkPost(false))
	r.Handle("POST /relation-tuples/batch/check", h.batchCheck)
	r.Handle("GET /relation-tuples/expand", h.expand)
	r.Handle("GET /relation-tuples/list-objects", h.listObjects)
	r.Handle("GET /relation-tuples/list-subjects", h.listSubjects)
	r.Handle("GET /relation-tuples/changes", h.changes)
	r.Handle("GET /namespaces", h.namespaces)
	r.Handle("POST /opl/syntax/check", h.syntax)
}

// MountWrite registers the write API.
func (h *Handler) MountWrite(r *web.Router) {
	r.Handle("PUT /admin/relation-tuples", h.create)
	r.Handle("PATCH /admin/relation-tuples", h.patch)
	r.Handle("DELETE /admin/relation-tuples", h.deleteMatching)
}

// SnaptokenHeader carries the snaptoken of every write and read answer.
const SnaptokenHeader = "X-Snaptoken"

// httpError maps service errors to the envelope.
func httpError(err error) error {
	var oe opl.Errors
	switch {
	case errors.Is(err, ErrUnknownNamespace):
		return web.NotFound("%s", err.Error()).WithCause(err)
	case errors.Is(err, ErrUnknownRelation), errors.Is(err, ErrInvalidTuple), errors.Is(err, ErrMalformedTuple),
		errors.Is(err, ErrBadSnaptoken), errors.Is(err, ErrBadPageToken), errors.Is(err, ErrTooLarge):
		return web.BadRequest("%s", err.Error()).WithCause(err)
	case errors.Is(err, ErrMaxDepth):
		return web.BadRequest("%s", err.Error()).WithID("max_depth_exceeded").WithCause(err)
	case errors.As(err, &oe):
		return web.BadRequest("%s", err.Error()).WithCause(err)
	}
	return err
}

func readOptions(v url.Values) (CheckOptions, error) {
	o := CheckOptions{Snaptoken: Snaptoken(v.Get("snaptoken"))}
	if d := v.Get("max-depth"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return o, fmt.Errorf("%w: max-depth must be a non-negative integer, not %q", ErrInvalidTuple, d)
		}
		o.MaxDepth = n
	}
	return o, nil
}

type checkResponse struct {
	Allowed   bool      `json:"allowed"`
	Snaptoken Snaptoken `json:"snaptoken,omitempty"`
}

func (h *Handler) checkGet(orError bool) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		t, err := tuple.TupleFromURL(q)
		if err != nil {
			return httpError(err)
		}
		return h.answerCheck(w, r, t, q, orError)
	}
}

func (h *Handler) checkPost(orError bool) web.Handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		var t tuple.Tuple
		if err := web.DecodeJSON(r, &t); err != nil {
			return err
		}
		return h.answerCheck(w, r, t, r.URL.Query(), orError)
	}
}

func (h *Handler) answerCheck(w http.ResponseWriter, r *http.Request, t tuple.Tuple, q url.Values, orError bool) error {
	o, err := readOptions(q)
	if err != nil {
		return httpError(err)
	}
	res, err := h.s.Check(r.Context(), t, o)
	if err != nil {
		return httpError(err)
	}
	w.Header().Set(SnaptokenHeader, string(res.Snaptoken))
	status := http.StatusOK
	if orError {
		if res.DepthExhausted {
			return httpError(fmt.Errorf("%w: no answer for %s within max depth %d; a deeper path may exist (raise max-depth, up to permission.limit.max_read_depth)",
				ErrMaxDepth, t, res.MaxDepth))
		}
		if !res.Allowed {
			status = http.StatusForbidden
		}
	}
	web.WriteJSON(w, status, checkResponse{Allowed: res.Allowed, Snaptoken: res.Snaptoken})
	return nil
}

type batchBody struct {
	Tuples []tuple.Tuple `json:"tuples"`
}

type batchItem struct {
	Allowed bool   `json:"allowed"`
	Error   string `json:"error,omitempty"`
}

func (h *Handler) batchCheck(w http.ResponseWriter, r *http.Request) error {
	var body batchBody
	if err := web.DecodeJSON(r, &body); err != nil {
		return err
	}
	o, err := readOptions(r.URL.Query())
	if err != nil {
		return httpError(err)
	}
	res, tok, err := h.s.BatchCheck(r.Context(), body.Tuples, o)
	if err != nil {
		return httpError(err)
	}
	out := make([]batchItem, len(res))
	for i, br := range res {
		out[i] = batchItem{Allowed: br.Allowed}
		if br.Err != nil {
			out[i].Error = br.Err.Error()
		}
	}
	w.Header().Set(SnaptokenHeader, string(tok))
	web.WriteJSON(w, http.StatusOK, map[string]any{"results": out})
	return nil
}

type listResponse struct {
	RelationTuples []tuple.Tuple `json:"relation_tuples"`
	NextPageToken  string        `json:"next_page_token"`
}

func pageSize(v url.Values) (int, error) {
	s := v.Get("page_size")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%w: page_size must be a positive integer, not %q", ErrInvalidTuple, s)
	}
	return n, nil
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	q, err := tuple.QueryFromURL(v)
	if err != nil {
		return httpError(err)
	}
	n, err := pageSize(v)
	if err != nil {
		return httpError(err)
	}
	p, err := h.s.List(r.Context(), q, v.Get("page_token"), n)
	if err != nil {
		return httpError(err)
	}
	w.Header().Set(SnaptokenHeader, string(p.Snaptoken))
	if p.NextToken != "" {
		next := q.Values()
		next.Set("page_token", p.NextToken)
		if n > 0 {
			next.Set("page_size", strconv.Itoa(n))
		}
		w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, r.URL.Path, next.Encode()))
	}
	web.WriteJSON(w, http.StatusOK, listResponse{RelationTuples: p.Tuples, NextPageToken: p.NextToken})
	return nil
}

func (h *Handler) expand(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	o, err := readOptions(v)
	if err != nil {
		return httpError(err)
	}
	set := tuple.SubjectSet{Namespace: v.Get("namespace"), Object: v.Get("object"), Relation: v.Get("relation")}
	tree, tok, err := h.s.Expand(r.Context(), set, o)
	if err != nil {
		return httpError(err)
	}
	w.Header().Set(SnaptokenHeader, string(tok))
	web.WriteJSON(w, http.StatusOK, tree)
	return nil
}

func (h *Handler) listObjects(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	o, err := readOptions(v)
	if err != nil {
		return httpError(err)
	}
	q, err := tuple.QueryFromURL(v)
	if err != nil {
		return httpError(err)
	}
	if q.Subject == nil || q.Namespace == "" || q.Relation == "" {
		return web.BadRequest("namespace, relation and a subject (subject_id or subject_set.*) are required")
	}
	p, err := h.s.ListObjects(r.Context(), q.Namespace, q.Relation, *q.Subject, o)
	if err != nil {
		return httpError(err)
	}
	w.Header().Set(SnaptokenHeader, string(p.Snaptoken))
	web.WriteJSON(w, http.StatusOK, p)
	return nil
}

func (h *Handler) listSubjects(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	o, err := readOptions(v)
	if err != nil {
		return httpError(err)
	}
	p, err := h.s.ListSubjects(r.Context(), v.Get("namespace"), v.Get("object"), v.Get("relation"), o)
	if err != nil {
		return httpError(err)
	}
	w.Header().Set(SnaptokenHeader, string(p.Snaptoken))
	web.WriteJSON(w, http.StatusOK, p)
	return nil
}

func (h *Handler) changes(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	n, err := pageSize(v)
	if err != nil {
		return httpError(err)
	}
	var wait time.Duration
	if s := v.Get("wait"); s != "" {
		if wait, err = time.ParseDuration(s); err != nil || wait < 0 || wait > time.Minute {
			return web.BadRequest("wait must be a duration of at most 1m, e.g. 30s")
		}
	}
	page, err := h.s.Changes(r.Context(), Snaptoken(v.Get("snaptoken")), v.Get("page_token"), n, wait)
	if err != nil {
		return httpError(err)
	}
	web.WriteJSON(w, http.StatusOK, page)
	return nil
}

func (h *Handler) namespaces(w http.ResponseWriter, r *http.Request) error {
	type ns struct {
		Name string `json:"name"`
	}
	out := []ns{}
	for _, n := range h.s.Namespaces() {
		out = append(out, ns{n})
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"namespaces": out})
	return nil
}

type position struct {
	Line   int `json:"Line"`
	Column int `json:"column"`
}

type parseError struct {
	Message string   `json:"message"`
	Start   position `json:"start"`
	End     position `json:"end"`
}

func (h *Handler) syntax(w http.ResponseWriter, r *http.Request) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	out := []parseError{}
	for _, e := range SyntaxErrors(string(b)) {
		p := position{Line: e.Pos.Line, Column: e.Pos.Column}
		out = append(out, parseError{Message: e.Message, Start: p, End: p})
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"errors": out})
	return nil
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) error {
	var t tuple.Tuple
	if err := web.DecodeJSON(r, &t); err != nil {
		return err
	}
	tok, err := h.s.Transact(r.Context(), []tuple.Tuple{t}, nil)
	if err != nil {
		return httpError(err)
	}
	w.Header().Set(SnaptokenHeader, string(tok))
	web.WriteJSON(w, http.StatusCreated, t)
	return nil
}

type patchItem struct {
	Action string       `json:"action"`
	Tuple  *tuple.Tuple `json:"relation_tuple"`
}

func (h *Handler) patch(w http.ResponseWriter, r *http.Request) error {
	var items []patchItem
	if err := web.DecodeJSON(r, &items); err != nil {
		return err
	}
	var ins, del []tuple.Tuple
	for i, it := range items {
		if it.Tuple == nil {
			return web.BadRequest("item %d: relation_tuple is required", i)
		}
		switch it.Action {
		case "insert":
			ins = append(ins, *it.Tuple)
		case "delete":
			del = append(del, *it.Tuple)
		default:
			return web.BadRequest("item %d: action must be \"insert\" or \"delete\", not %q", i, it.Action)
		}
	}
	tok, err := h.s.Transact(r.Context(), ins, del)
	if err != nil {
		return httpError(err)
	}
	w.Header().Set(SnaptokenHeader, string(tok))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) deleteMatching(w http.ResponseWriter, r *http.Request) error {
	q, err := tuple.QueryFromURL(r.URL.Query())
	if err != nil {
		return httpError(err)
	}
	tok, err := h.s.DeleteMatching(r.Context(), q)
	if err != nil {
		return httpError(err)
	}
	w.Header().Set(SnaptokenHeader, string(tok))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

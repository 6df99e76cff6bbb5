package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// ParsePageSize reads a page_size query value: a whole number of at least
// 1, or a 400 naming the field.
func ParsePageSize(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, BadRequest("page_size must be a whole number of at least 1, not %s.", strconv.Quote(s)).WithDetails("field", "page_size")
	}
	return n, nil
}

// SetNextLink sets the Link header to the next page of a list: the
// request's path with the query values named in keep (when present) and
// page_token.
func SetNextLink(w http.ResponseWriter, r *http.Request, keep []string, token string) {
	v, next := r.URL.Query(), url.Values{}
	for _, k := range keep {
		if v.Has(k) {
			next.Set(k, v.Get(k))
		}
	}
	next.Set("page_token", token)
	w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, r.URL.Path, next.Encode()))
}

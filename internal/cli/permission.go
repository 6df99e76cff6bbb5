package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/warden-iam/warden/internal/permission/opl"
	"github.com/warden-iam/warden/internal/permission/tuple"
)

// Defaults of the server addresses; the environment variables, when set,
// replace them. The permission commands name the listeners by what they do
// (read, write), the OAuth2 commands by the listener (public, admin).
const (
	defaultReadURL   = "http://127.0.0.1:4433"
	defaultWriteURL  = "http://127.0.0.1:4434"
	defaultPublicURL = "http://127.0.0.1:4433"
	defaultAdminURL  = "http://127.0.0.1:4434"
	envReadURL       = "WARDEN_READ_URL"
	envWriteURL      = "WARDEN_WRITE_URL"
	envPublicURL     = "WARDEN_PUBLIC_URL"
	envAdminURL      = "WARDEN_ADMIN_URL"

	// writeChunk is how many tuples one PATCH carries (the server's default
	// transaction limit).
	writeChunk = 1000
)

// apiFlags are the flags of the commands that talk to a running server.
type apiFlags struct {
	readURL   string
	writeURL  string
	publicURL string
	adminURL  string
	format    string
	timeout   time.Duration
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// urlFlag adds the base-URL flag name, defaulting to $env or else def; api
// and listener say what it names in the help.
func urlFlag(cmd *cobra.Command, dst *string, name, env, def, api, listener string) {
	cmd.Flags().StringVar(dst, name, envOr(env, def),
		fmt.Sprintf("base URL of the server's %s API (%s listener; env %s)", api, listener, env))
}

// register adds --format always, --read-url and --write-url as asked, and
// --timeout whenever the command talks to a server.
func (f *apiFlags) register(cmd *cobra.Command, read, write bool) {
	cmd.Flags().StringVar(&f.format, "format", "table", "output format: table or json")
	if read {
		urlFlag(cmd, &f.readURL, "read-url", envReadURL, defaultReadURL, "read", "public")
	}
	if write {
		urlFlag(cmd, &f.writeURL, "write-url", envWriteURL, defaultWriteURL, "write", "admin")
	}
	if read || write {
		cmd.Flags().DurationVar(&f.timeout, "timeout", 10*time.Second, "time limit of each request to the server")
	}
}

// registerListeners adds --format, --public-url and --admin-url as asked,
// and --timeout.
func (f *apiFlags) registerListeners(cmd *cobra.Command, public, admin bool) {
	cmd.Flags().StringVar(&f.format, "format", "table", "output format: table or json")
	if public {
		urlFlag(cmd, &f.publicURL, "public-url", envPublicURL, defaultPublicURL, "public", "public")
	}
	if admin {
		urlFlag(cmd, &f.adminURL, "admin-url", envAdminURL, defaultAdminURL, "admin", "admin")
	}
	cmd.Flags().DurationVar(&f.timeout, "timeout", 10*time.Second, "time limit of each request to the server")
}

func (f *apiFlags) json() (bool, error) {
	switch f.format {
	case "json":
		return true, nil
	case "table", "":
		return false, nil
	}
	return false, fmt.Errorf("--format must be table or json, not %q", f.format)
}

func (f *apiFlags) client() *apiClient {
	return &apiClient{http: &http.Client{Timeout: f.timeout}}
}

// apiClient calls a server's REST API.
type apiClient struct{ http *http.Client }

// serverError is an error answer of the server, read from its error envelope
// or from an OAuth2 error answer (RFC 6749 section 5.2).
type serverError struct {
	Status int
	ID     string
	Code   string // OAuth2 error code, e.g. invalid_client
	Reason string
	Msg    string
}

func (e *serverError) Error() string {
	what := e.Reason
	if what == "" {
		what = e.Msg
	}
	if e.Code != "" {
		if what == "" {
			what = e.Code
		} else {
			what = e.Code + ": " + what
		}
	}
	if what == "" {
		what = "no reason given"
	}
	s := fmt.Sprintf("the server answered %d %s: %s", e.Status, http.StatusText(e.Status), what)
	if e.ID != "" {
		s += " (" + e.ID + ")"
	}
	return s
}

// do sends body (JSON, if not nil) to base+path?query and decodes a 2xx
// answer into out (if not nil). Any other answer becomes a *serverError.
func (c *apiClient) do(ctx context.Context, method, base, path string, query url.Values, body, out any) (http.Header, error) {
	u := strings.TrimRight(base, "/") + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("bad server URL %q: %v", base, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.send(req, base, out)
}

// postForm POSTs form (application/x-www-form-urlencoded) to base+path,
// after auth (if not nil) has had its say on the request, and decodes a 2xx
// answer into out as do does.
func (c *apiClient) postForm(ctx context.Context, base, path string, form url.Values, auth func(*http.Request), out any) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("bad server URL %q: %v", base, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth != nil {
		auth(req)
	}
	return c.send(req, base, out)
}

func (c *apiClient) send(req *http.Request, base string, out any) (http.Header, error) {
	req.Header.Set("Accept", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("cannot reach %s: %v (is the server running and listening there?)", base, err)
		}
		return nil, fmt.Errorf("cannot reach %s: %v", base, err)
	}
	defer res.Body.Close()
	method, u := req.Method, req.URL.String()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %v", method, u, err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return nil, decodeServerError(res.StatusCode, b)
	}
	if out != nil && len(b) > 0 {
		if raw, ok := out.(*json.RawMessage); ok {
			*raw = append((*raw)[:0], b...)
		} else if err := json.Unmarshal(b, out); err != nil {
			return nil, fmt.Errorf("%s %s: the answer is not the expected JSON: %v", method, u, err)
		}
	}
	return res.Header, nil
}

func decodeServerError(status int, body []byte) error {
	var env struct {
		Error struct {
			ID      string `json:"id"`
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"error"`
	}
	e := &serverError{Status: status}
	if json.Unmarshal(body, &env) == nil && (env.Error.Reason != "" || env.Error.Message != "") {
		e.ID, e.Reason, e.Msg = env.Error.ID, env.Error.Reason, env.Error.Message
		return e
	}
	var oauth struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Hint        string `json:"error_hint"`
	}
	if json.Unmarshal(body, &oauth) == nil && oauth.Error != "" {
		e.Code, e.Reason = oauth.Error, oauth.Description
		if oauth.Hint != "" && !strings.Contains(e.Reason, oauth.Hint) {
			e.Reason = strings.TrimSpace(e.Reason + " " + oauth.Hint)
		}
		return e
	}
	text := strings.TrimSpace(string(body))
	if len(text) > 200 {
		text = text[:200] + "..."
	}
	e.Msg = text
	return e
}

// readInput reads FILE, or standard input for "-".
func readInput(cmd *cobra.Command, name string) (string, []byte, error) {
	if name == "-" {
		b, err := io.ReadAll(cmd.InOrStdin())
		return "stdin", b, err
	}
	b, err := os.ReadFile(name)
	return name, b, err
}

// lineError is a problem with one line (or JSON array item) of tuple input.
type lineError struct {
	Line int // 1-based line, or 0 when Item is set
	Item int // 1-based array item
	Err  string
}

// parseTuples reads tuple text: a JSON array of tuples in the REST shape, or
// one N:O#R@S tuple a line, where blank lines and lines starting with '#'
// are skipped. Every bad line is reported.
func parseTuples(src []byte) ([]tuple.Tuple, []lineError) {
	if trimmed := bytes.TrimSpace(src); len(trimmed) > 0 && trimmed[0] == '[' {
		var ts []tuple.Tuple
		if err := json.Unmarshal(trimmed, &ts); err != nil {
			return nil, []lineError{{Line: 1, Err: "not a JSON array of relation tuples: " + err.Error()}}
		}
		var errs []lineError
		for i, t := range ts {
			if err := t.Validate(); err != nil {
				errs = append(errs, lineError{Item: i + 1, Err: err.Error()})
			}
		}
		return ts, errs
	}
	var (
		ts   []tuple.Tuple
		errs []lineError
	)
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		t, err := tuple.Parse(line)
		if err != nil {
			errs = append(errs, lineError{Line: n, Err: err.Error()})
			continue
		}
		ts = append(ts, t)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, lineError{Err: err.Error()})
	}
	return ts, errs
}

// readTuples reads and parses FILE|-, printing every bad line to stderr.
func readTuples(cmd *cobra.Command, arg string) ([]tuple.Tuple, string, error) {
	name, src, err := readInput(cmd, arg)
	if err != nil {
		return nil, name, err
	}
	ts, errs := parseTuples(src)
	if len(errs) > 0 {
		w := cmd.ErrOrStderr()
		for _, e := range errs {
			switch {
			case e.Item > 0:
				fmt.Fprintf(w, "%s: item %d: %s\n", name, e.Item, e.Err)
			case e.Line > 0:
				fmt.Fprintf(w, "%s:%d: %s\n", name, e.Line, e.Err)
			default:
				fmt.Fprintf(w, "%s: %s\n", name, e.Err)
			}
		}
		return nil, name, fmt.Errorf("%s: %d bad relation tuple(s), nothing was done", name, len(errs))
	}
	return ts, name, nil
}

func printTuples(w io.Writer, ts []tuple.Tuple) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tOBJECT\tRELATION\tSUBJECT")
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Namespace, t.Object, t.Relation, t.Subject)
	}
	tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func newRelationTuples() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "relation-tuples",
		Aliases: []string{"relation-tuple", "relationships"},
		Short:   "Create, delete, list and parse relation tuples of a running server",
		Long: `Create, delete, list and parse relation tuples.

A relation tuple is written namespace:object#relation@subject, where the subject
is a subject id or a subject set namespace:object#relation. Input files hold one
tuple a line (blank lines and lines starting with # are skipped) or a JSON array
of tuples in the REST shape; "-" reads standard input.

Reads go to --read-url (the public listener), writes to --write-url (the admin
listener).`,
	}
	cmd.AddCommand(newTupleWrite("create", "insert"), newTupleWrite("delete", "delete"), newTupleGet(), newTupleParse())
	return cmd
}

func newTupleWrite(name, action string) *cobra.Command {
	var f apiFlags
	verb := map[string]string{"insert": "Created", "delete": "Deleted"}[action]
	cmd := &cobra.Command{
		Use:   name + " FILE|-",
		Short: fmt.Sprintf("%s the relation tuples of FILE (one transaction per %d tuples)", strings.ToUpper(name[:1])+name[1:], writeChunk),
		Long: fmt.Sprintf(`%s the relation tuples of FILE ("-" for standard input) through the write API.

Every line is parsed first; if any is bad, each bad line is reported with its
number and nothing is sent. Up to %d tuples go in one transaction; larger inputs
are sent in chunks of %d, one transaction each, with a progress line per chunk.`,
			strings.ToUpper(name[:1])+name[1:], writeChunk, writeChunk),
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			asJSON, err := f.json()
			if err != nil {
				return err
			}
			ts, src, err := readTuples(cmd, args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if len(ts) == 0 {
				if asJSON {
					return writeJSON(out, map[string]any{"action": action, "count": 0})
				}
				fmt.Fprintf(out, "%s holds no relation tuples; nothing was sent.\n", src)
				return nil
			}
			c := f.client()
			chunks := (len(ts) + writeChunk - 1) / writeChunk
			var token string
			for i := 0; i < chunks; i++ {
				lo, hi := i*writeChunk, min((i+1)*writeChunk, len(ts))
				items := make([]map[string]any, 0, hi-lo)
				for _, t := range ts[lo:hi] {
					items = append(items, map[string]any{"action": action, "relation_tuple": t})
				}
				h, err := c.do(cmd.Context(), http.MethodPatch, f.writeURL, "/admin/relation-tuples", nil, items, nil)
				if err != nil {
					if chunks > 1 {
						return fmt.Errorf("chunk %d/%d (tuples %d-%d): %w; the %d tuple(s) of the earlier chunks were applied",
							i+1, chunks, lo+1, hi, err, lo)
					}
					return err
				}
				token = h.Get("X-Snaptoken")
				if chunks > 1 {
					fmt.Fprintf(cmd.ErrOrStderr(), "[%d/%d] %s %d relation tuples (%d of %d)\n",
						i+1, chunks, strings.ToLower(verb), hi-lo, hi, len(ts))
				}
			}
			if asJSON {
				return writeJSON(out, map[string]any{"action": action, "count": len(ts), "snaptoken": token})
			}
			fmt.Fprintf(out, "%s %d relation tuple(s).", verb, len(ts))
			if token != "" {
				fmt.Fprintf(out, " Snaptoken: %s", token)
			}
			fmt.Fprintln(out)
			return nil
		},
	}
	f.register(cmd, false, true)
	return cmd
}

type listPage struct {
	RelationTuples []tuple.Tuple `json:"relation_tuples"`
	NextPageToken  string        `json:"next_page_token"`
}

func newTupleGet() *cobra.Command {
	var (
		f          apiFlags
		q          tuple.Query
		subjectID  string
		subjectSet string
		pageSize   int
		pageToken  string
		all        bool
	)
	cmd := &cobra.Command{
		Use:   "get",
		Short: "List relation tuples matching the filters",
		Long: `List relation tuples matching the filters (all of them when none is given).

One page is shown, with the token of the next page if there is one; --all
follows the pages to the end.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			asJSON, err := f.json()
			if err != nil {
				return err
			}
			switch {
			case cmd.Flags().Changed("subject-id") && subjectSet != "":
				return errors.New("give either --subject-id or --subject-set, not both")
			case cmd.Flags().Changed("subject-id"):
				q.Subject = &tuple.Subject{ID: subjectID}
			case subjectSet != "":
				s, err := tuple.ParseSubject(subjectSet)
				if err != nil || s.Set == nil {
					return fmt.Errorf("--subject-set must be namespace:object#relation, not %q", subjectSet)
				}
				q.Subject = &s
			}
			if pageSize < 0 {
				return errors.New("--page-size must be positive")
			}
			c := f.client()
			var got listPage
			token := pageToken
			for {
				v := q.Values()
				if pageSize > 0 {
					v.Set("page_size", strconv.Itoa(pageSize))
				}
				if token != "" {
					v.Set("page_token", token)
				}
				var p listPage
				if _, err := c.do(cmd.Context(), http.MethodGet, f.readURL, "/relation-tuples", v, nil, &p); err != nil {
					return err
				}
				got.RelationTuples = append(got.RelationTuples, p.RelationTuples...)
				got.NextPageToken = p.NextPageToken
				if !all || p.NextPageToken == "" {
					break
				}
				if p.NextPageToken == token {
					return errors.New("the server answered the same page token twice; stopping")
				}
				token = p.NextPageToken
			}
			out := cmd.OutOrStdout()
			if got.RelationTuples == nil {
				got.RelationTuples = []tuple.Tuple{}
			}
			if asJSON {
				return writeJSON(out, got)
			}
			printTuples(out, got.RelationTuples)
			if got.NextPageToken != "" {
				fmt.Fprintf(out, "\nMore tuples: --page-token %s (or --all)\n", got.NextPageToken)
			}
			return nil
		},
	}
	f.register(cmd, true, false)
	fl := cmd.Flags()
	fl.StringVar(&q.Namespace, "namespace", "", "only tuples of this namespace")
	fl.StringVar(&q.Object, "object", "", "only tuples of this object")
	fl.StringVar(&q.Relation, "relation", "", "only tuples of this relation")
	fl.StringVar(&subjectID, "subject-id", "", "only tuples whose subject is this id")
	fl.StringVar(&subjectSet, "subject-set", "", "only tuples whose subject is this subject set, namespace:object#relation")
	fl.IntVar(&pageSize, "page-size", 0, "tuples per page (server default when 0)")
	fl.StringVar(&pageToken, "page-token", "", "start at this page (a token printed by an earlier call)")
	fl.BoolVar(&all, "all", false, "follow every page to the end")
	return cmd
}

func newTupleParse() *cobra.Command {
	var f apiFlags
	cmd := &cobra.Command{
		Use:   "parse FILE|-",
		Short: "Parse relation tuples locally and print them (no server needed)",
		Long: `Parse the relation tuples of FILE ("-" for standard input) and print them as a
table or, with --format json, as a JSON array in the REST shape (input for other
tools, or for "create"). Each bad line is reported with its number and the
command exits 1.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			asJSON, err := f.json()
			if err != nil {
				return err
			}
			ts, _, err := readTuples(cmd, args[0])
			if err != nil {
				return err
			}
			if ts == nil {
				ts = []tuple.Tuple{}
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), ts)
			}
			printTuples(cmd.OutOrStdout(), ts)
			return nil
		},
	}
	f.register(cmd, false, false)
	return cmd
}

func depthQuery(v url.Values, maxDepth int) error {
	if maxDepth < 0 {
		return errors.New("--max-depth must not be negative")
	}
	if maxDepth > 0 {
		v.Set("max-depth", strconv.Itoa(maxDepth))
	}
	return nil
}

func newCheck() *cobra.Command {
	var (
		f        apiFlags
		maxDepth int
	)
	cmd := &cobra.Command{
		Use:   "check SUBJECT RELATION NAMESPACE OBJECT",
		Short: "Ask whether SUBJECT has RELATION (or permit) on NAMESPACE:OBJECT",
		Long: `Ask the server whether SUBJECT has RELATION on NAMESPACE:OBJECT, following the
permission model's rewrites. SUBJECT is a subject id or a subject set
namespace:object#relation. Prints Allowed or Denied and exits 0 either way;
errors (an unknown namespace, an unreachable server) exit 1.`,
		Example: `  warden check alice view Doc readme
  warden check Group:eng#members view Folder:root --format json`,
		Args: cobra.ExactArgs(4),
		RunE: func(cmd *cobra.Command, args []string) error {
			asJSON, err := f.json()
			if err != nil {
				return err
			}
			sub, err := tuple.ParseSubject(args[0])
			if err != nil {
				return fmt.Errorf("subject %q: %v", args[0], err)
			}
			t := tuple.Tuple{Namespace: args[2], Object: args[3], Relation: args[1], Subject: sub}
			if err := t.Validate(); err != nil {
				return err
			}
			v := tuple.Query{Namespace: t.Namespace, Object: t.Object, Relation: t.Relation, Subject: &t.Subject}.Values()
			if err := depthQuery(v, maxDepth); err != nil {
				return err
			}
			var res struct {
				Allowed bool `json:"allowed"`
			}
			if _, err := f.client().do(cmd.Context(), http.MethodGet, f.readURL, "/relation-tuples/check/openapi", v, nil, &res); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, res)
			}
			if res.Allowed {
				fmt.Fprintln(out, "Allowed")
			} else {
				fmt.Fprintln(out, "Denied")
			}
			return nil
		},
	}
	f.register(cmd, true, false)
	cmd.Flags().IntVar(&maxDepth, "max-depth", 0, "how deep the check may search (server's limit when 0)")
	return cmd
}

// expandTree is a node of an expansion as the server sends it.
type expandTree struct {
	Type     string        `json:"type"`
	Tuple    *tuple.Tuple  `json:"tuple,omitempty"`
	Children []*expandTree `json:"children,omitempty"`
}

func printTree(w io.Writer, n *expandTree, indent int) {
	label := "(no tuple)"
	if n.Tuple != nil {
		label = n.Tuple.Subject.String()
	}
	pad := strings.Repeat("  ", indent)
	if n.Type == "leaf" {
		fmt.Fprintf(w, "%s%s\n", pad, label)
	} else {
		fmt.Fprintf(w, "%s%s (%s)\n", pad, label, n.Type)
	}
	for _, c := range n.Children {
		printTree(w, c, indent+1)
	}
}

func newExpand() *cobra.Command {
	var (
		f        apiFlags
		maxDepth int
	)
	cmd := &cobra.Command{
		Use:   "expand RELATION NAMESPACE OBJECT",
		Short: "Show who has RELATION on NAMESPACE:OBJECT, as a tree of subject sets",
		Long: `Expand the subject set NAMESPACE:OBJECT#RELATION: every subject that has the
relation through stored tuples, nested under the subject sets it comes through.
The table format indents each level (leaves are subjects; other nodes show their
kind in parentheses); --format json prints the server's tree as it is.`,
		Example: `  warden expand viewers Folder root`,
		Args:    cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			asJSON, err := f.json()
			if err != nil {
				return err
			}
			v := url.Values{"relation": {args[0]}, "namespace": {args[1]}, "object": {args[2]}}
			if err := depthQuery(v, maxDepth); err != nil {
				return err
			}
			var raw json.RawMessage
			if _, err := f.client().do(cmd.Context(), http.MethodGet, f.readURL, "/relation-tuples/expand", v, nil, &raw); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				var buf bytes.Buffer
				if json.Indent(&buf, raw, "", "  ") != nil {
					_, err := out.Write(raw)
					return err
				}
				buf.WriteByte('\n')
				_, err := out.Write(buf.Bytes())
				return err
			}
			var tree *expandTree
			if err := json.Unmarshal(raw, &tree); err != nil {
				return fmt.Errorf("the expand answer is not a tree: %v", err)
			}
			if tree == nil {
				fmt.Fprintln(out, "(empty)")
				return nil
			}
			printTree(out, tree, 0)
			return nil
		},
	}
	f.register(cmd, true, false)
	cmd.Flags().IntVar(&maxDepth, "max-depth", 0, "how many levels to expand (server's limit when 0)")
	return cmd
}

func newNamespaces() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "namespaces",
		Short: "List a server's namespaces or validate a permission model (OPL)",
	}
	var lf apiFlags
	list := &cobra.Command{
		Use:   "list",
		Short: "List the namespaces in force on a running server",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			asJSON, err := lf.json()
			if err != nil {
				return err
			}
			var res struct {
				Namespaces []struct {
					Name string `json:"name"`
				} `json:"namespaces"`
			}
			if _, err := lf.client().do(cmd.Context(), http.MethodGet, lf.readURL, "/namespaces", nil, nil, &res); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if res.Namespaces == nil {
				res.Namespaces = []struct {
					Name string `json:"name"`
				}{}
			}
			if asJSON {
				return writeJSON(out, res)
			}
			fmt.Fprintln(out, "NAME")
			for _, n := range res.Namespaces {
				fmt.Fprintln(out, n.Name)
			}
			return nil
		},
	}
	lf.register(list, true, false)

	var vf apiFlags
	validate := &cobra.Command{
		Use:   "validate FILE|-",
		Short: "Check a permission model written in the Ory Permission Language (no server needed)",
		Long: `Parse and check the permission model in FILE ("-" for standard input) and print
every problem as FILE:LINE:COL: message. Exits 1 if there is any.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			asJSON, err := vf.json()
			if err != nil {
				return err
			}
			name, src, err := readInput(cmd, args[0])
			if err != nil {
				return err
			}
			m, perr := opl.Parse(string(src))
			var errs opl.Errors
			if perr != nil && !errors.As(perr, &errs) {
				errs = opl.Errors{{Message: perr.Error()}}
			}
			type jsonErr struct {
				Line    int    `json:"line"`
				Column  int    `json:"column"`
				Message string `json:"message"`
			}
			report := struct {
				File       string    `json:"file"`
				Valid      bool      `json:"valid"`
				Namespaces []string  `json:"namespaces"`
				Errors     []jsonErr `json:"errors"`
			}{File: name, Valid: len(errs) == 0, Namespaces: []string{}, Errors: []jsonErr{}}
			if perr == nil && m != nil {
				for _, ns := range m.Namespaces {
					report.Namespaces = append(report.Namespaces, ns.Name)
				}
			}
			for _, e := range errs {
				report.Errors = append(report.Errors, jsonErr{Line: e.Pos.Line, Column: e.Pos.Column, Message: e.Message})
			}
			out := cmd.OutOrStdout()
			if asJSON {
				if err := writeJSON(out, report); err != nil {
					return err
				}
			} else if report.Valid {
				fmt.Fprintf(out, "%s: valid, %d namespace(s): %s\n", name, len(report.Namespaces), strings.Join(report.Namespaces, ", "))
			} else {
				for _, e := range errs {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s:%d:%d: %s\n", name, e.Pos.Line, e.Pos.Column, e.Message)
				}
			}
			if !report.Valid {
				return fmt.Errorf("%s: %d error(s)", name, len(errs))
			}
			return nil
		},
	}
	vf.register(validate, false, false)
	cmd.AddCommand(list, validate)
	return cmd
}

package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// envIdentityPassword, when set, is the password "identities create" gives
// an identity whose body holds none, so it need not show in the process list.
const envIdentityPassword = "WARDEN_IDENTITY_PASSWORD"

const (
	// importBatchDefault and importBatchMax bound the entries of one batch
	// request of "identities import"; the server takes at most 2000.
	importBatchDefault = 500
	importBatchMax     = 2000
	// importTimeout is the default time limit of one batch request: the
	// server hashes every plain-text password of the batch.
	importTimeout = 5 * time.Minute
)

// --- showing identities ----------------------------------------------------

// identityView is what the tables show of an identity.
type identityView struct {
	ID          string          `json:"id"`
	SchemaID    string          `json:"schema_id"`
	State       string          `json:"state"`
	Traits      json.RawMessage `json:"traits"`
	ExternalID  string          `json:"external_id"`
	Credentials map[string]struct {
		Identifiers []string        `json:"identifiers"`
		Config      json.RawMessage `json:"config"`
	} `json:"credentials"`
	VerifiableAddresses []struct {
		Value    string `json:"value"`
		Via      string `json:"via"`
		Verified bool   `json:"verified"`
		Status   string `json:"status"`
	} `json:"verifiable_addresses"`
	RecoveryAddresses []struct {
		Value string `json:"value"`
		Via   string `json:"via"`
	} `json:"recovery_addresses"`
	MetadataPublic json.RawMessage `json:"metadata_public"`
	MetadataAdmin  json.RawMessage `json:"metadata_admin"`
	OrganizationID *string         `json:"organization_id"`
	CreatedAt      string          `json:"created_at"`
	UpdatedAt      string          `json:"updated_at"`
}

// identifier is the identity's main identifier: the email, username or phone
// trait, else a credential identifier, else an address. Lists carry no
// credentials, so the traits come first for lists and single views to agree.
func (v *identityView) identifier() string {
	var traits map[string]any
	if json.Unmarshal(v.Traits, &traits) == nil {
		for _, k := range []string{"email", "username", "phone", "phone_number"} {
			if s, ok := traits[k].(string); ok && s != "" {
				return s
			}
		}
	}
	types := slices.Sorted(maps.Keys(v.Credentials))
	if i := slices.Index(types, "password"); i > 0 {
		types = append([]string{"password"}, slices.Delete(types, i, i+1)...)
	}
	for _, t := range types {
		if ids := v.Credentials[t].Identifiers; len(ids) > 0 {
			return ids[0]
		}
	}
	if len(v.VerifiableAddresses) > 0 {
		return v.VerifiableAddresses[0].Value
	}
	if len(v.RecoveryAddresses) > 0 {
		return v.RecoveryAddresses[0].Value
	}
	return ""
}

// shortTime shows an RFC 3339 time in UTC to the second.
func shortTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return cell(s)
	}
	return t.UTC().Format(time.RFC3339)
}

// compactJSON shows a JSON value on one line, "-" when absent or null.
func compactJSON(raw json.RawMessage) string {
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil || buf.String() == "null" {
		return "-"
	}
	return buf.String()
}

func decodeIdentities(raws []json.RawMessage) ([]identityView, error) {
	vs := make([]identityView, len(raws))
	for i, r := range raws {
		if err := json.Unmarshal(r, &vs[i]); err != nil {
			return nil, fmt.Errorf("the server's identity is not the expected JSON: %v", err)
		}
	}
	return vs, nil
}

// identityRows writes one row per identity to tw, the header first when
// head is set.
func identityRows(tw io.Writer, head bool, vs []identityView) {
	if head {
		fmt.Fprintln(tw, "ID\tSCHEMA\tSTATE\tIDENTIFIER\tCREATED_AT")
	}
	for _, v := range vs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.ID, cell(v.SchemaID), cell(v.State), cell(v.identifier()), shortTime(v.CreatedAt))
	}
}

// printIdentityDetail writes one identity as field/value lines.
func printIdentityDetail(w io.Writer, v identityView) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, val string) { fmt.Fprintf(tw, "%s\t%s\n", k, val) }
	row("id", v.ID)
	row("schema_id", cell(v.SchemaID))
	row("state", cell(v.State))
	row("identifier", cell(v.identifier()))
	row("traits", compactJSON(v.Traits))
	row("external_id", cell(v.ExternalID))
	if v.OrganizationID != nil {
		row("organization_id", cell(*v.OrganizationID))
	}
	var creds []string
	for _, t := range slices.Sorted(maps.Keys(v.Credentials)) {
		c := t
		if ids := v.Credentials[t].Identifiers; len(ids) > 0 {
			c += " (" + strings.Join(ids, ", ") + ")"
		}
		creds = append(creds, c)
	}
	row("credentials", cell(strings.Join(creds, ", ")))
	for _, t := range slices.Sorted(maps.Keys(v.Credentials)) {
		if cfg := v.Credentials[t].Config; len(cfg) > 0 {
			row("credentials."+t+".config", compactJSON(cfg))
		}
	}
	var addrs []string
	for _, a := range v.VerifiableAddresses {
		st := a.Status
		if a.Verified {
			st = "verified"
		}
		addrs = append(addrs, fmt.Sprintf("%s (%s, %s)", a.Value, cell(a.Via), cell(st)))
	}
	row("verifiable_addresses", cell(strings.Join(addrs, ", ")))
	addrs = addrs[:0]
	for _, a := range v.RecoveryAddresses {
		addrs = append(addrs, fmt.Sprintf("%s (%s)", a.Value, cell(a.Via)))
	}
	row("recovery_addresses", cell(strings.Join(addrs, ", ")))
	row("metadata_public", compactJSON(v.MetadataPublic))
	row("metadata_admin", compactJSON(v.MetadataAdmin))
	row("created_at", shortTime(v.CreatedAt))
	row("updated_at", shortTime(v.UpdatedAt))
	return tw.Flush()
}

// showIdentities prints identities field by field, or as JSON: the server's
// object as it is, or an array of them when many is set.
func showIdentities(cmd *cobra.Command, asJSON, many bool, raws []json.RawMessage) error {
	out := cmd.OutOrStdout()
	if asJSON {
		if !many && len(raws) == 1 {
			return writeJSON(out, raws[0])
		}
		return writeJSON(out, append([]json.RawMessage{}, raws...))
	}
	vs, err := decodeIdentities(raws)
	if err != nil {
		return err
	}
	for i, v := range vs {
		if i > 0 {
			fmt.Fprintln(out)
		}
		if err := printIdentityDetail(out, v); err != nil {
			return err
		}
	}
	return nil
}

// jsonArrayWriter writes a JSON array an element at a time, indented as
// writeJSON indents it.
type jsonArrayWriter struct {
	w io.Writer
	n int
}

func (a *jsonArrayWriter) add(raw json.RawMessage) error {
	var buf bytes.Buffer
	if a.n == 0 {
		buf.WriteString("[\n  ")
	} else {
		buf.WriteString(",\n  ")
	}
	if err := json.Indent(&buf, raw, "  ", "  "); err != nil {
		return fmt.Errorf("the server's identity is not valid JSON: %v", err)
	}
	a.n++
	_, err := a.w.Write(buf.Bytes())
	return err
}

func (a *jsonArrayWriter) close() error {
	end := "\n]\n"
	if a.n == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(a.w, end)
	return err
}

// forEachIdentity calls fn for each id; a failure is reported on stderr
// when there are several and the others still run. The error names the ids
// that failed.
func forEachIdentity(cmd *cobra.Command, ids []string, fn func(id string) error) error {
	var failed []string
	var last error
	for _, id := range ids {
		if err := fn(id); err != nil {
			failed, last = append(failed, id), fmt.Errorf("identity %s: %w", id, err)
			if len(ids) > 1 {
				fmt.Fprintf(cmd.ErrOrStderr(), "warden: %v\n", last)
			}
		}
	}
	switch {
	case len(failed) == 0:
		return nil
	case len(ids) == 1:
		return last
	}
	return fmt.Errorf("%d of %d identities failed: %s", len(failed), len(ids), strings.Join(failed, ", "))
}

func identityPath(id string) string { return "/admin/identities/" + url.PathEscape(id) }

// --- commands ----------------------------------------------------------------

func newIdentities() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "identities",
		Aliases: []string{"identity"},
		Short:   "Create, list, show, delete and bulk-import identities of a running server",
		Long: `Create, list, show, delete and bulk-import the identities of a running server
through its admin API (--admin-url, or $` + envAdminURL + `).

The table format shows the main fields; --format json prints the server's
JSON as it is.`,
	}
	cmd.AddCommand(newIdentityCreate(), newIdentityList(), newIdentityGet(), newIdentityDelete(), newIdentityImport())
	return cmd
}

// identityFlags are the fields of a new identity that flags can set.
type identityFlags struct {
	file, schemaID, traits, email, password  string
	state, metaPublic, metaAdmin, externalID string
}

func (c *identityFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&c.file, "file", "", `start from the JSON identity (a create body) in FILE ("-" reads standard input); flags override its fields`)
	fl.StringVar(&c.schemaID, "schema-id", "", "identity schema (the server's default when left out)")
	fl.StringVar(&c.traits, "traits", "", `traits, a JSON object such as '{"email":"ann@example.com"}'`)
	fl.StringVar(&c.email, "email", "", "set the email trait (added to --traits or to those of --file)")
	fl.StringVar(&c.password, "password", "", "password to sign in with (default $"+envIdentityPassword+", which keeps it out of the process list)")
	fl.StringVar(&c.state, "state", "", "active (default) or inactive")
	fl.StringVar(&c.metaPublic, "metadata-public", "", `metadata the identity may read, a JSON object such as '{"plan":"pro"}'`)
	fl.StringVar(&c.metaAdmin, "metadata-admin", "", "metadata only the admin API shows, a JSON object")
	fl.StringVar(&c.externalID, "external-id", "", "an id of the identity in another system (unique)")
}

// objectFlag reads the JSON object of flag name; ok is false when the flag
// is empty.
func objectFlag(name, val string) (m map[string]any, ok bool, err error) {
	if strings.TrimSpace(val) == "" {
		return nil, false, nil
	}
	if m, err = decodeObject([]byte(val)); err != nil {
		return nil, false, fmt.Errorf("--%s must be a JSON object: %v", name, err)
	}
	return m, true, nil
}

// body builds the create body: --file's fields, then those of the flags.
func (c *identityFlags) body(cmd *cobra.Command) (map[string]any, error) {
	obj := map[string]any{}
	if c.file != "" {
		name, b, err := readInput(cmd, c.file)
		if err != nil {
			return nil, err
		}
		m, err := decodeObject(b)
		if err != nil {
			return nil, fmt.Errorf("%s: not a JSON identity object: %v", name, err)
		}
		obj = m
	}
	fl := cmd.Flags()
	if fl.Changed("schema-id") {
		obj["schema_id"] = c.schemaID
	}
	if m, ok, err := objectFlag("traits", c.traits); err != nil {
		return nil, err
	} else if ok {
		obj["traits"] = m
	}
	if fl.Changed("email") {
		traits, _ := obj["traits"].(map[string]any)
		if traits == nil {
			traits = map[string]any{}
		}
		traits["email"] = c.email
		obj["traits"] = traits
	}
	if t, ok := obj["traits"]; !ok || t == nil {
		return nil, errors.New("the identity needs traits: give --traits, --email or --file")
	}
	if fl.Changed("state") {
		obj["state"] = c.state
	}
	for _, m := range []struct{ flag, field, val string }{
		{"metadata-public", "metadata_public", c.metaPublic}, {"metadata-admin", "metadata_admin", c.metaAdmin},
	} {
		if v, ok, err := objectFlag(m.flag, m.val); err != nil {
			return nil, err
		} else if ok {
			obj[m.field] = v
		} else if fl.Changed(m.flag) {
			delete(obj, m.field)
		}
	}
	if fl.Changed("external-id") {
		obj["external_id"] = c.externalID
	}
	creds, _ := obj["credentials"].(map[string]any)
	pw := c.password
	if !fl.Changed("password") {
		pw = ""
		if _, has := creds["password"]; !has {
			pw = os.Getenv(envIdentityPassword)
		}
	}
	if pw != "" {
		if creds == nil {
			creds = map[string]any{}
		}
		creds["password"] = map[string]any{"config": map[string]any{"password": pw}}
		obj["credentials"] = creds
	}
	return obj, nil
}

func newIdentityCreate() *cobra.Command {
	var (
		f  apiFlags
		cf identityFlags
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an identity",
		Long: `Create an identity from the flags, or from a JSON create body in --file (the
flags given then override its fields). The traits must match the identity
schema (--schema-id, or the server's default). A password comes from
--password or, when neither the flag nor --file gives one, from
$` + envIdentityPassword + `.`,
		Example: `  warden identities create --email ann@example.com
  WARDEN_IDENTITY_PASSWORD=... warden identities create --email ann@example.com --metadata-public '{"plan":"pro"}'
  warden identities create --file ann.json --state inactive --format json`,
		Args: nArgs(0, 0),
		RunE: f.runE(func(cmd *cobra.Command, _ []string, asJSON bool) error {
			body, err := cf.body(cmd)
			if err != nil {
				return err
			}
			var raw json.RawMessage
			if _, err := f.admin(cmd, http.MethodPost, "/admin/identities", body, &raw); err != nil {
				return err
			}
			return showIdentities(cmd, asJSON, false, []json.RawMessage{raw})
		}),
	}
	f.registerListeners(cmd, false, true)
	cf.register(cmd)
	return cmd
}

func newIdentityList() *cobra.Command {
	var (
		f                     apiFlags
		pageSize              int
		pageToken, identifier string
		all                   bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List identities, one page at a time or all of them",
		Long: `List identities ordered by id, one page at a time: when there are more, the
token of the next page is printed (on standard error with --format json);
pass it to --page-token. --all follows the pages to the end. With --format
json the identities are printed as one JSON array.`,
		Example: `  warden identities list --page-size 50
  warden identities list --identifier ann@example.com
  warden identities list --all --format json > identities.json`,
		Args: nArgs(0, 0),
		RunE: f.runE(func(cmd *cobra.Command, _ []string, asJSON bool) error {
			v := url.Values{}
			switch {
			case pageSize < 0:
				return errors.New("--page-size must be at least 1")
			case pageSize > 0:
				v.Set("page_size", strconv.Itoa(pageSize))
			}
			if identifier != "" {
				v.Set("credentials_identifier", identifier)
			}
			out := cmd.OutOrStdout()
			arr := &jsonArrayWriter{w: out}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			next, first := pageToken, true
			for {
				if next != "" {
					v.Set("page_token", next)
				}
				var raws []json.RawMessage
				h, err := f.client().do(cmd.Context(), http.MethodGet, f.adminURL, "/admin/identities", v, nil, &raws)
				if err != nil {
					return err
				}
				next = nextPageToken(h.Get("Link"))
				if asJSON {
					for _, r := range raws {
						if err := arr.add(r); err != nil {
							return err
						}
					}
				} else {
					vs, err := decodeIdentities(raws)
					if err != nil {
						return err
					}
					identityRows(tw, first, vs)
					// Each page is aligned on its own, so that --all
					// need not hold every identity.
					if err := tw.Flush(); err != nil {
						return err
					}
				}
				first = false
				if !all || next == "" {
					break
				}
			}
			if asJSON {
				if err := arr.close(); err != nil {
					return err
				}
				if next != "" {
					fmt.Fprintf(cmd.ErrOrStderr(), "More identities: --page-token %s\n", next)
				}
				return nil
			}
			if next != "" {
				fmt.Fprintf(out, "\nMore identities: --page-token %s\n", next)
			}
			return nil
		}),
	}
	f.registerListeners(cmd, false, true)
	fl := cmd.Flags()
	fl.IntVar(&pageSize, "page-size", 0, "identities per page (server default when 0)")
	fl.StringVar(&pageToken, "page-token", "", "start at this page (a token printed by an earlier call)")
	fl.StringVar(&identifier, "identifier", "", "only the identity with this credential identifier (such as an email address)")
	fl.BoolVar(&all, "all", false, "follow the pages to the end")
	return cmd
}

func newIdentityGet() *cobra.Command {
	var (
		f       apiFlags
		include []string
	)
	cmd := &cobra.Command{
		Use:   "get ID...",
		Short: "Show identities",
		Long: `Show the identities with the given ids. --include-credential adds the
configuration of that credential type (such as the password hash) to the
answer. With --format json one id prints the identity's JSON, several print an
array. Unknown ids are reported and make the command exit 1; the others are
still shown.`,
		Example: `  warden identities get 5f0c...
  warden identities get 5f0c... --include-credential password --format json`,
		Args: nArgs(1, -1),
		RunE: f.runE(func(cmd *cobra.Command, args []string, asJSON bool) error {
			q := url.Values{}
			for _, t := range nonEmpty(include) {
				q.Add("include_credential", t)
			}
			var raws []json.RawMessage
			ferr := forEachIdentity(cmd, args, func(id string) error {
				var raw json.RawMessage
				if _, err := f.client().do(cmd.Context(), http.MethodGet, f.adminURL, identityPath(id), q, nil, &raw); err != nil {
					return err
				}
				raws = append(raws, raw)
				return nil
			})
			if len(raws) > 0 {
				if err := showIdentities(cmd, asJSON, len(args) > 1, raws); err != nil {
					return err
				}
			}
			return ferr
		}),
	}
	f.registerListeners(cmd, false, true)
	cmd.Flags().StringArrayVar(&include, "include-credential", nil, "show the configuration of this credential type (password, oidc, ...); repeat for several")
	return cmd
}

func newIdentityDelete() *cobra.Command {
	var f apiFlags
	cmd := &cobra.Command{
		Use:   "delete ID...",
		Short: "Delete identities",
		Long: `Delete the identities with the given ids, with their credentials and
sessions. Unknown ids are reported and make the command exit 1; the others are
still deleted.`,
		Args: nArgs(1, -1),
		RunE: f.runE(func(cmd *cobra.Command, args []string, asJSON bool) error {
			deleted := []string{}
			ferr := forEachIdentity(cmd, args, func(id string) error {
				if _, err := f.admin(cmd, http.MethodDelete, identityPath(id), nil, nil); err != nil {
					return err
				}
				deleted = append(deleted, id)
				if !asJSON {
					fmt.Fprintf(cmd.OutOrStdout(), "Deleted identity %s\n", id)
				}
				return nil
			})
			if asJSON {
				if err := writeJSON(cmd.OutOrStdout(), map[string]any{"deleted": deleted}); err != nil {
					return err
				}
			}
			return ferr
		}),
	}
	f.registerListeners(cmd, false, true)
	return cmd
}

// --- import: reading the input ---------------------------------------------

// lineTracker passes reads through and keeps the bytes read but not yet
// counted, so that input offsets can be turned into line numbers.
type lineTracker struct {
	r       io.Reader
	pending []byte // the input from offset base on that has been read
	base    int64
	line    int // the line at offset base, from 1
}

func (t *lineTracker) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.pending = append(t.pending, p[:n]...)
	return n, err
}

func (t *lineTracker) index(off int64) int {
	return int(min(max(off-t.base, 0), int64(len(t.pending))))
}

// lineOf returns the line of input offset off (at least base).
func (t *lineTracker) lineOf(off int64) int {
	return t.line + bytes.Count(t.pending[:t.index(off)], []byte{'\n'})
}

// advance forgets the input before offset off.
func (t *lineTracker) advance(off int64) {
	k := t.index(off)
	t.line += bytes.Count(t.pending[:k], []byte{'\n'})
	t.pending, t.base = t.pending[k:], t.base+int64(k)
}

// valueStart returns the offset of the first byte from base on that is
// neither blank nor a comma: where the next value starts.
func (t *lineTracker) valueStart() int64 {
	i := bytes.IndexFunc(t.pending, func(r rune) bool { return !strings.ContainsRune(" \t\r\n,", r) })
	if i < 0 {
		i = len(t.pending)
	}
	return t.base + int64(i)
}

// importEntry is one identity of the input: its number and line (from 1)
// and its create body.
type importEntry struct {
	n, line int
	body    json.RawMessage
}

// entrySource reads the entries of import input one at a time: a JSON array
// of objects, or JSON objects one after another (JSON lines).
type entrySource struct {
	name   string
	lt     *lineTracker
	dec    *json.Decoder
	array  bool
	origin int64 // bytes before the decoder's input: a byte order mark and blanks
	n      int   // entries read
	done   bool
}

func newEntrySource(name string, r io.Reader) (*entrySource, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	s := &entrySource{name: name}
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		_, _ = br.Discard(3)
		s.origin = 3
	}
	// Blanks before the first value are skipped here, to see how it starts.
	line := 1
	c, err := br.ReadByte()
	for ; err == nil && (c == ' ' || c == '\t' || c == '\r' || c == '\n'); c, err = br.ReadByte() {
		s.origin++
		if c == '\n' {
			line++
		}
	}
	switch {
	case err == io.EOF:
		s.done = true
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("%s: %v", name, err)
	case c == '[':
		s.array = true
	case c != '{':
		return nil, fmt.Errorf("%s: line %d: neither a JSON array of identities nor JSON lines (one identity object a line)", name, line)
	}
	_ = br.UnreadByte()
	s.lt = &lineTracker{r: br, line: line}
	s.dec = json.NewDecoder(s.lt)
	if s.array {
		if _, err := s.dec.Token(); err != nil {
			return nil, s.fail(err)
		}
		s.lt.advance(s.dec.InputOffset())
	}
	return s, nil
}

// format names the shape of the input.
func (s *entrySource) format() string {
	switch {
	case s.array:
		return "JSON array"
	case s.n == 0:
		return "empty"
	}
	return "JSON lines"
}

// next returns the next entry, or io.EOF after the last.
func (s *entrySource) next() (importEntry, error) {
	if s.done {
		return importEntry{}, io.EOF
	}
	if s.array && !s.dec.More() {
		tok, err := s.dec.Token()
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return importEntry{}, fmt.Errorf("%s: the input ends at line %d before the JSON array is closed", s.name, s.lt.lineOf(s.lt.base+int64(len(s.lt.pending))))
		}
		if err != nil {
			return importEntry{}, s.fail(err)
		}
		if tok != json.Delim(']') {
			return importEntry{}, fmt.Errorf("%s: line %d: unexpected %v in the JSON array", s.name, s.lt.lineOf(s.dec.InputOffset()), tok)
		}
		s.lt.advance(s.dec.InputOffset())
		if _, err := s.dec.Token(); err != io.EOF {
			return importEntry{}, fmt.Errorf("%s: line %d: something follows the end of the JSON array", s.name, s.lt.lineOf(s.lt.valueStart()))
		}
		s.done = true
		return importEntry{}, io.EOF
	}
	var raw json.RawMessage
	if err := s.dec.Decode(&raw); err != nil {
		if err == io.EOF && !s.array {
			s.done = true
			return importEntry{}, io.EOF
		}
		return importEntry{}, s.fail(err)
	}
	e := importEntry{n: s.n + 1, line: s.lt.lineOf(s.lt.valueStart()), body: raw}
	s.lt.advance(s.dec.InputOffset())
	if len(raw) == 0 || raw[0] != '{' {
		return importEntry{}, fmt.Errorf("%s: entry %d (line %d): not a JSON object", s.name, e.n, e.line)
	}
	s.n = e.n
	return e, nil
}

// fail describes an error reading the next entry.
func (s *entrySource) fail(err error) error {
	n := s.n + 1
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		off := max(se.Offset-1, 0) // the offending byte
		return fmt.Errorf("%s: entry %d: malformed JSON at line %d (byte offset %d): %v", s.name, n, s.lt.lineOf(off), s.origin+off, err)
	case (errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF) && s.lt.valueStart() == s.lt.base+int64(len(s.lt.pending)):
		return fmt.Errorf("%s: the input ends at line %d, where entry %d should start", s.name, s.lt.lineOf(s.lt.valueStart()), n)
	case errors.Is(err, io.ErrUnexpectedEOF), err == io.EOF:
		return fmt.Errorf("%s: entry %d (line %d): the input ends before the entry does", s.name, n, s.lt.lineOf(s.lt.valueStart()))
	}
	return fmt.Errorf("%s: reading entry %d: %v", s.name, n, err)
}

// --- import: progress ------------------------------------------------------

// importState is the state file of an import, rewritten after every batch:
// the SHA-256 of the input file (hex) and how many of its entries, from the
// first, are done; the counts are those of all runs so far.
type importState struct {
	File    string    `json:"file,omitempty"`
	SHA256  string    `json:"sha256"`
	Entries int       `json:"entries,omitempty"`
	Done    int       `json:"done"`
	Created int       `json:"created"`
	Exists  int       `json:"exists"`
	Refused int       `json:"refused"`
	Updated time.Time `json:"updated_at,omitzero"`
}

func readState(path string) (*importState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state file %s: %v", path, err)
	}
	var st importState
	if err := json.Unmarshal(b, &st); err != nil || st.SHA256 == "" || st.Done < 0 {
		return nil, fmt.Errorf("state file %s is not the state of an import (use --restart to start over)", path)
	}
	return &st, nil
}

// writeState replaces the state file whole, so that an interruption leaves
// either the old state or the new one.
func writeState(path string, st *importState) error {
	st.Updated = time.Now().UTC().Truncate(time.Second)
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("state file: %v", err)
	}
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("state file %s: %v", path, err)
	}
	return nil
}

// nEntries is "1 entry" or "2,500 entries".
func nEntries(n int) string {
	if n == 1 {
		return "1 entry"
	}
	return thousands(n) + " entries"
}

// thousands writes n with commas between groups of three digits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// countParts lists the non-zero counts of existing and refused entries.
func countParts(exists, refused int) []string {
	var parts []string
	if exists > 0 {
		parts = append(parts, thousands(exists)+" already existed")
	}
	if refused > 0 {
		parts = append(parts, thousands(refused)+" refused")
	}
	return parts
}

// patchID names entry n in a batch; the shape of a UUID, as servers may
// require.
func patchID(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", n) }

// batchAnswer is the answer to a batch create.
type batchAnswer struct {
	Identities []struct {
		Action   string `json:"action"`
		Identity string `json:"identity"`
		PatchID  string `json:"patch_id"`
		Error    *struct {
			Code    int    `json:"code"`
			Status  string `json:"status"`
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"error"`
	} `json:"identities"`
}

// refusal is an entry the server refused.
type refusal struct {
	Entry  int    `json:"entry"`
	Line   int    `json:"line"`
	Status int    `json:"status,omitempty"`
	Reason string `json:"reason"`
}

// importer sends entries in batches and keeps count.
type importer struct {
	cmd       *cobra.Command
	f         *apiFlags
	ctx       context.Context // of the requests; see run
	name      string
	total     int // entries in the input, -1 when unknown
	batchSize int
	listAll   bool
	statePath string
	st        importState
	refusals  []refusal // of this run
	keep      bool      // keep refusals for the JSON summary
	largest   int       // the largest part of a split batch the server took
	created   int       // in this run
	exists    int
	refused   int
}

// sendBatch sends batch. When the server finds it too large, it is split,
// and the batches that follow are as large as the largest part the server
// took.
func (im *importer) sendBatch(batch []importEntry) error {
	im.largest = 0
	split, err := im.send(batch)
	if split && im.largest > 0 && im.largest < im.batchSize {
		im.batchSize = im.largest
		fmt.Fprintf(im.cmd.ErrOrStderr(), "The server found a batch of %s too large; sending %s at a time from now on.\n",
			nEntries(len(batch)), thousands(im.batchSize))
	}
	return err
}

// send sends batch, split in two when the server finds it too large (split
// tells). Every batch answered is counted and recorded in the state file.
func (im *importer) send(batch []importEntry) (split bool, err error) {
	type item struct {
		PatchID string          `json:"patch_id"`
		Create  json.RawMessage `json:"create"`
	}
	body := struct {
		Identities []item `json:"identities"`
	}{Identities: make([]item, len(batch))}
	for i, e := range batch {
		body.Identities[i] = item{PatchID: patchID(e.n), Create: e.body}
	}
	var ans batchAnswer
	_, err = im.f.client().do(im.ctx, http.MethodPatch, im.f.adminURL, "/admin/identities", nil, body, &ans)
	var se *serverError
	if errors.As(err, &se) && se.Status == http.StatusRequestEntityTooLarge {
		if len(batch) == 1 {
			return true, im.record(batch, nil, se)
		}
		half := len(batch) / 2
		if _, err := im.send(batch[:half]); err != nil {
			return true, err
		}
		_, err := im.send(batch[half:])
		return true, err
	}
	if err != nil {
		return false, fmt.Errorf("entries %d to %d: %w", batch[0].n, batch[len(batch)-1].n, err)
	}
	im.largest = max(im.largest, len(batch))
	return false, im.record(batch, &ans, nil)
}

// record counts the outcome of batch (ans, or the one error tooLarge) and
// writes the state file.
func (im *importer) record(batch []importEntry, ans *batchAnswer, tooLarge *serverError) error {
	refuse := func(e importEntry, status int, reason string) {
		im.refused++
		im.st.Refused++
		fmt.Fprintf(im.cmd.ErrOrStderr(), "%s: entry %d (line %d) refused: %s\n", im.name, e.n, e.line, reason)
		if im.keep {
			im.refusals = append(im.refusals, refusal{Entry: e.n, Line: e.line, Status: status, Reason: reason})
		}
	}
	if tooLarge != nil {
		refuse(batch[0], tooLarge.Status, "too large for the server: "+tooLarge.Error())
	} else {
		if len(ans.Identities) != len(batch) {
			return fmt.Errorf("entries %d to %d: the server answered %d results for %d entries",
				batch[0].n, batch[len(batch)-1].n, len(ans.Identities), len(batch))
		}
		at := make(map[string]int, len(batch))
		for i, e := range batch {
			at[patchID(e.n)] = i
		}
		for k, r := range ans.Identities {
			e := batch[k]
			if i, ok := at[r.PatchID]; ok {
				e = batch[i]
			}
			switch {
			case r.Action == "create":
				im.created++
				im.st.Created++
			case r.Action == "error" && r.Error != nil && r.Error.Code == http.StatusConflict:
				im.exists++
				im.st.Exists++
				if im.listAll {
					fmt.Fprintf(im.cmd.ErrOrStderr(), "%s: entry %d (line %d) exists\n", im.name, e.n, e.line)
				}
			case r.Action == "error" && r.Error != nil:
				reason := r.Error.Reason
				if reason == "" {
					reason = r.Error.Message
				}
				if reason == "" {
					reason = fmt.Sprintf("%d %s", r.Error.Code, r.Error.Status)
				}
				refuse(e, r.Error.Code, reason)
			default:
				refuse(e, 0, fmt.Sprintf("the server answered action %q without an error", r.Action))
			}
		}
	}
	im.st.Done = batch[len(batch)-1].n
	if im.statePath != "" {
		if err := writeState(im.statePath, &im.st); err != nil {
			return err
		}
	}
	im.progress()
	return nil
}

func (im *importer) progress() {
	of := ""
	if im.total >= 0 {
		pct := 100
		if im.total > 0 {
			pct = im.st.Done * 100 / im.total
		}
		of = fmt.Sprintf(" of %s (%d%%)", thousands(im.total), pct)
	}
	counts := ""
	if parts := countParts(im.st.Exists, im.st.Refused); len(parts) > 0 {
		counts = " — " + strings.Join(parts, ", ")
	}
	fmt.Fprintf(im.cmd.ErrOrStderr(), "imported %s%s%s\n", thousands(im.st.Done), of, counts)
}

// scanFile reads the whole input file once: it checks every entry's JSON,
// counts the entries and hashes the file.
func scanFile(ctx context.Context, name, path string) (entries int, sum string, format string, err error) {
	file, err := os.Open(path)
	if err != nil {
		return 0, "", "", err
	}
	defer file.Close()
	h := sha256.New()
	src, err := newEntrySource(name, io.TeeReader(file, h))
	if err != nil {
		return 0, "", "", err
	}
	for {
		if _, err := src.next(); err == io.EOF {
			break
		} else if err != nil {
			return 0, "", "", err
		}
		if src.n%1000 == 0 && ctx.Err() != nil {
			return 0, "", "", errors.New("interrupted")
		}
	}
	if _, err := io.Copy(h, file); err != nil {
		return 0, "", "", fmt.Errorf("%s: %v", name, err)
	}
	return src.n, hex.EncodeToString(h.Sum(nil)), src.format(), nil
}

func newIdentityImport() *cobra.Command {
	var (
		f                  apiFlags
		batchSize          int
		statePath          string
		restart, listExist bool
	)
	cmd := &cobra.Command{
		Use:   "import FILE|-",
		Short: "Create many identities from a file, in batches, resumably",
		Long: `Create the identities of FILE ("-" reads standard input) through the batch
endpoint of the admin API. FILE holds identity create bodies (as
"identities create --file" takes them): either a JSON array of them, or one
JSON object a line (JSON lines). It is read one entry at a time, so it may be
larger than memory; a file is first read through once to check its JSON and
count its entries, so nothing is sent when an entry is malformed.

Entries go --batch-size at a time. Progress goes to standard error after every
batch. An entry the server refuses is listed with its number and line and the
server's reason; the import carries on, and exits 1 at the end. An entry whose
identifier, address or external id already belongs to an identity counts as
"already existed" and as done, so importing a file again creates only what is
missing (--list-existing lists those entries). A refused entry counts as done
too: import it again once fixed. With --format json a summary (the counts and
this run's refusals) is printed on standard output.

After every batch the state file (--state-file, default FILE.progress) records
the file's SHA-256 and how many entries are done. Run the same command again
after an interruption (Ctrl-C stops after the batch in flight) or an error, and
it resumes after the last batch done. If the file has changed since, it refuses
to resume: --restart starts from the first entry. A finished import keeps its
state file, and running it again does nothing. Standard input cannot be
resumed; an empty --state-file keeps no state.`,
		Example: `  warden identities import users.jsonl
  warden identities import users.json --batch-size 1000 --format json > summary.json
  zcat users.jsonl.gz | warden identities import -`,
		Args: nArgs(1, 1),
		RunE: f.runE(func(cmd *cobra.Command, args []string, asJSON bool) error {
			if batchSize < 1 || batchSize > importBatchMax {
				return fmt.Errorf("--batch-size must be from 1 to %d, not %d", importBatchMax, batchSize)
			}
			ctx, stderr := cmd.Context(), cmd.ErrOrStderr()
			path, stdin := args[0], args[0] == "-"
			name := path
			if stdin {
				name = "stdin"
				if cmd.Flags().Changed("state-file") && statePath != "" {
					return errors.New("--state-file needs a FILE: standard input cannot be resumed")
				}
			} else if !cmd.Flags().Changed("state-file") {
				statePath = path + ".progress"
			}
			im := &importer{cmd: cmd, f: &f, name: name, total: -1, batchSize: batchSize, listAll: listExist, keep: asJSON,
				statePath: statePath}

			// A file is checked and hashed first, and matched with its state.
			resumed := 0
			if !stdin {
				n, sum, format, err := scanFile(ctx, name, path)
				if err != nil {
					return err
				}
				im.total = n
				im.st = importState{File: path, SHA256: sum, Entries: n}
				fmt.Fprintf(stderr, "%s: %s (%s)\n", name, nEntries(n), format)
				if statePath != "" && !restart {
					prev, err := readState(statePath)
					if err != nil {
						return err
					}
					switch {
					case prev == nil:
					case prev.SHA256 != sum:
						return fmt.Errorf("%s has changed since the import recorded in %s (SHA-256 %.12s…, %s entries done): "+
							"use --restart to import it from the first entry (those already created count as existing)",
							name, statePath, prev.SHA256, thousands(prev.Done))
					case prev.Done > n:
						return fmt.Errorf("state file %s says %s entries are done but %s holds %s; use --restart", statePath, thousands(prev.Done), name, thousands(n))
					default:
						im.st.Done, im.st.Created, im.st.Exists, im.st.Refused = prev.Done, prev.Created, prev.Exists, prev.Refused
						resumed = prev.Done
						if resumed == n {
							fmt.Fprintf(stderr, "%s: nothing to send: the import recorded in %s is complete (%s); --restart imports the file again\n",
								name, statePath, nEntries(n))
						} else if resumed > 0 {
							fmt.Fprintf(stderr, "resuming %s after entry %s of %s (state file %s)\n", name, thousands(resumed), thousands(n), statePath)
						}
					}
				}
			}

			var (
				in   io.Reader = cmd.InOrStdin()
				file *os.File
				h    = sha256.New()
			)
			if !stdin {
				var err error
				if file, err = os.Open(path); err != nil {
					return err
				}
				defer file.Close()
				in = io.TeeReader(file, h)
			}
			src, err := newEntrySource(name, in)
			if err != nil {
				return err
			}

			// The first interruption lets the batch in flight finish; a
			// second one aborts it.
			reqCtx, abort := context.WithCancel(context.WithoutCancel(ctx))
			defer abort()
			stopWatch := context.AfterFunc(ctx, func() {
				sig := make(chan os.Signal, 1)
				signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
				fmt.Fprintln(stderr, "warden: interrupted; stopping after the batch in flight (interrupt again to abort it)")
				go func() {
					defer signal.Stop(sig)
					select {
					case <-sig:
						abort()
					case <-reqCtx.Done():
					}
				}()
			})
			defer stopWatch()
			im.ctx = reqCtx

			var batch []importEntry
			for {
				e, err := src.next()
				if err != nil && err != io.EOF {
					if im.st.Done > resumed {
						return fmt.Errorf("%v (entries up to %s were sent)", err, thousands(im.st.Done))
					}
					return err
				}
				if err == nil && e.n <= resumed {
					continue
				}
				if err == nil {
					batch = append(batch, e)
				}
				if len(batch) > 0 && (err == io.EOF || len(batch) >= im.batchSize) {
					if ctx.Err() != nil {
						return interrupted(im)
					}
					if serr := im.sendBatch(batch); serr != nil {
						if reqCtx.Err() != nil {
							return interrupted(im)
						}
						return sendFailed(im, serr)
					}
					batch = batch[:0]
				}
				if err == io.EOF {
					break
				}
			}
			if !stdin {
				// The hash covers what the entries left unread, if anything.
				if _, err := io.Copy(h, file); err != nil {
					return fmt.Errorf("%s: %v", name, err)
				}
				if hex.EncodeToString(h.Sum(nil)) != im.st.SHA256 {
					return fmt.Errorf("%s changed while it was being imported; check it and run the import again with --restart", name)
				}
			}
			if im.total < 0 {
				im.total = src.n
			}
			return summarize(im, asJSON, resumed)
		}),
	}
	f.registerListeners(cmd, false, true)
	fl := cmd.Flags()
	f.timeout = importTimeout
	fl.Lookup("timeout").DefValue = importTimeout.String()
	fl.Lookup("timeout").Usage = "time limit of each batch request to the server"
	fl.IntVar(&batchSize, "batch-size", importBatchDefault, fmt.Sprintf("entries per batch request (at most %d)", importBatchMax))
	fl.StringVar(&statePath, "state-file", "", `where to record the progress (default FILE.progress; "" for none)`)
	fl.BoolVar(&restart, "restart", false, "start from the first entry whatever the state file says")
	fl.BoolVar(&listExist, "list-existing", false, "list each entry that already existed, not only their count")
	return cmd
}

// interrupted ends an import stopped by a signal.
func interrupted(im *importer) error {
	if im.statePath == "" {
		return fmt.Errorf("interrupted after %s entries", thousands(im.st.Done))
	}
	return fmt.Errorf("interrupted after %s entries; run the same command again to resume (state file %s)", thousands(im.st.Done), im.statePath)
}

// sendFailed ends an import whose batch request failed.
func sendFailed(im *importer, err error) error {
	if im.st.Done == 0 {
		return fmt.Errorf("%s: %v", im.name, err)
	}
	if im.statePath == "" {
		return fmt.Errorf("%s: %v (%s were done before)", im.name, err, nEntries(im.st.Done))
	}
	return fmt.Errorf("%s: %v; %s done: run the same command again to resume (state file %s)",
		im.name, err, nEntries(im.st.Done), im.statePath)
}

// summarize prints what the import did: a line on standard error, or a JSON
// object on standard output. Refused entries, in this run or an earlier one,
// make it an error.
func summarize(im *importer, asJSON bool, resumed int) error {
	st := im.st
	if asJSON {
		refusals := im.refusals
		if refusals == nil {
			refusals = []refusal{}
		}
		err := writeJSON(im.cmd.OutOrStdout(), map[string]any{
			"file": im.name, "entries": im.total, "resumed_after": resumed, "sent": st.Done - resumed,
			"created": st.Created, "exists": st.Exists, "refused": st.Refused, "refusals": refusals,
		})
		if err != nil {
			return err
		}
	} else {
		from := ""
		if resumed > 0 {
			from = fmt.Sprintf(" (%s sent now, after %s done earlier)", thousands(st.Done-resumed), thousands(resumed))
		}
		parts := append([]string{thousands(st.Created) + " created"}, countParts(st.Exists, st.Refused)...)
		fmt.Fprintf(im.cmd.ErrOrStderr(), "Imported %s: %s%s: %s.\n", im.name, nEntries(im.total), from, strings.Join(parts, ", "))
	}
	if st.Refused == 0 {
		return nil
	}
	earlier := ""
	if n := st.Refused - im.refused; n > 0 {
		earlier = fmt.Sprintf(" (%s of them by an earlier run)", thousands(n))
	}
	return fmt.Errorf("%s of %s entries were refused%s", thousands(st.Refused), thousands(im.total), earlier)
}

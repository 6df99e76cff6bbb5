package cli

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// envClientSecret, when set, is the default of token client-credentials'
// --client-secret, so the secret need not show in the process list.
const envClientSecret = "WARDEN_CLIENT_SECRET"

// runE checks --format and runs fn, telling it whether JSON is wanted.
func (f *apiFlags) runE(fn func(cmd *cobra.Command, args []string, asJSON bool) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		asJSON, err := f.json()
		if err != nil {
			return err
		}
		return fn(cmd, args, asJSON)
	}
}

// admin calls the admin API as apiClient.do does.
func (f *apiFlags) admin(cmd *cobra.Command, method, path string, body, out any) (http.Header, error) {
	return f.client().do(cmd.Context(), method, f.adminURL, path, nil, body, out)
}

// decodeObject reads a JSON object keeping numbers as they are written.
func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("null is not a JSON object")
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	return m, nil
}

// joinWords joins space-separated words given in one or several values.
func joinWords(vs []string) string { return strings.Join(strings.Fields(strings.Join(vs, " ")), " ") }

// nonEmpty drops empty values (never nil), so that `--flag ""` sets an
// empty list.
func nonEmpty(vs []string) []string {
	return append([]string{}, slices.DeleteFunc(slices.Clone(vs), func(v string) bool { return v == "" })...)
}

func cell(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func cells(vs []string) string { return cell(strings.Join(vs, ",")) }

// --- clients -----------------------------------------------------------

// clientFlags are the client fields that flags can set.
type clientFlags struct {
	file, id, name, secret, owner               string
	redirectURIs, grantTypes, responseTypes     []string
	scopes, audience, postLogoutRedirectURIs    []string
	authMethod, accessTokenStrategy             string
	backchannelLogoutURI, frontchannelLogoutURI string
	metadata                                    string
	skipConsent                                 bool
}

func (c *clientFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&c.file, "file", "", `start from the JSON client in FILE ("-" reads standard input); flags override its fields`)
	fl.StringVar(&c.id, "id", "", "client_id (on create, a random one when left out)")
	fl.StringVar(&c.name, "name", "", "client_name, shown to users")
	fl.StringVar(&c.secret, "secret", "", "client_secret, at least 8 characters (on create, a random one when left out)")
	fl.StringVar(&c.owner, "owner", "", "owner")
	fl.StringArrayVar(&c.redirectURIs, "redirect-uri", nil, `a redirect URI; repeat for several, "" for none`)
	fl.StringArrayVar(&c.grantTypes, "grant-type", nil, "a grant type, e.g. authorization_code, refresh_token, client_credentials; repeat for several")
	fl.StringArrayVar(&c.responseTypes, "response-type", nil, `a response type, e.g. code or "code id_token"; repeat for several`)
	fl.StringArrayVar(&c.scopes, "scope", nil, `scopes the client may ask for, space separated ("openid offline"); repeat to add more`)
	fl.StringArrayVar(&c.audience, "audience", nil, `an audience the client may ask tokens for; repeat for several, "" for none`)
	fl.StringVar(&c.authMethod, "token-endpoint-auth-method", "", "client_secret_basic (default), client_secret_post, private_key_jwt or none")
	fl.StringArrayVar(&c.postLogoutRedirectURIs, "post-logout-redirect-uri", nil, `a redirect URI after logout; repeat for several, "" for none`)
	fl.StringVar(&c.backchannelLogoutURI, "backchannel-logout-uri", "", "back-channel logout URI")
	fl.StringVar(&c.frontchannelLogoutURI, "frontchannel-logout-uri", "", "front-channel logout URI")
	fl.BoolVar(&c.skipConsent, "skip-consent", false, "skip the consent screen for this client (--skip-consent=false to ask again)")
	fl.StringVar(&c.accessTokenStrategy, "access-token-strategy", "", "jwt or opaque (server default when empty)")
	fl.StringVar(&c.metadata, "metadata", "", `metadata, a JSON object such as '{"team":"web"}' ("" clears it)`)
}

// apply sets on obj the fields of --file, if given, then those of the other
// flags given, and returns how many flags were given besides --file.
func (c *clientFlags) apply(cmd *cobra.Command, obj map[string]any) (int, error) {
	if c.file != "" {
		name, b, err := readInput(cmd, c.file)
		if err != nil {
			return 0, err
		}
		m, err := decodeObject(b)
		if err != nil {
			return 0, fmt.Errorf("%s: not a JSON client object: %v", name, err)
		}
		maps.Copy(obj, m)
	}
	fl := cmd.Flags()
	n := 0
	set := func(flag, field string, v any) {
		if fl.Changed(flag) {
			obj[field] = v
			n++
		}
	}
	set("id", "client_id", c.id)
	set("name", "client_name", c.name)
	set("secret", "client_secret", c.secret)
	set("owner", "owner", c.owner)
	set("redirect-uri", "redirect_uris", nonEmpty(c.redirectURIs))
	set("grant-type", "grant_types", nonEmpty(c.grantTypes))
	set("response-type", "response_types", nonEmpty(c.responseTypes))
	set("scope", "scope", joinWords(c.scopes))
	set("audience", "audience", nonEmpty(c.audience))
	set("token-endpoint-auth-method", "token_endpoint_auth_method", c.authMethod)
	set("post-logout-redirect-uri", "post_logout_redirect_uris", nonEmpty(c.postLogoutRedirectURIs))
	set("backchannel-logout-uri", "backchannel_logout_uri", c.backchannelLogoutURI)
	set("frontchannel-logout-uri", "frontchannel_logout_uri", c.frontchannelLogoutURI)
	set("skip-consent", "skip_consent", c.skipConsent)
	set("access-token-strategy", "access_token_strategy", c.accessTokenStrategy)
	if fl.Changed("metadata") {
		m := strings.TrimSpace(c.metadata)
		if m == "" {
			obj["metadata"] = nil
		} else {
			if _, err := decodeObject([]byte(m)); err != nil {
				return 0, fmt.Errorf("--metadata must be a JSON object: %v", err)
			}
			obj["metadata"] = json.RawMessage(m)
		}
		n++
	}
	return n, nil
}

// clientView is what the table shows of a client.
type clientView struct {
	ID            string   `json:"client_id"`
	Secret        string   `json:"client_secret"`
	Name          string   `json:"client_name"`
	GrantTypes    []string `json:"grant_types"`
	ResponseTypes []string `json:"response_types"`
	Scope         string   `json:"scope"`
	Audience      []string `json:"audience"`
	RedirectURIs  []string `json:"redirect_uris"`
	AuthMethod    string   `json:"token_endpoint_auth_method"`
}

// printClients prints the table of clients, telling on stderr of any secret
// in it.
func printClients(cmd *cobra.Command, raws []json.RawMessage) error {
	cs := make([]clientView, len(raws))
	for i, r := range raws {
		if err := json.Unmarshal(r, &cs[i]); err != nil {
			return fmt.Errorf("the server's client is not the expected JSON: %v", err)
		}
	}
	secrets := slices.ContainsFunc(cs, func(c clientView) bool { return c.Secret != "" })
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	head := "ID\tNAME\tGRANT_TYPES\tRESPONSE_TYPES\tSCOPE\tAUDIENCE\tREDIRECT_URIS\tAUTH_METHOD"
	if secrets {
		head += "\tSECRET"
	}
	fmt.Fprintln(tw, head)
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", c.ID, cell(c.Name), cells(c.GrantTypes), cells(c.ResponseTypes),
			cell(c.Scope), cells(c.Audience), cells(c.RedirectURIs), cell(c.AuthMethod))
		if secrets {
			fmt.Fprintf(tw, "\t%s", cell(c.Secret))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range cs {
		if c.Secret != "" {
			fmt.Fprintf(cmd.ErrOrStderr(), "The secret of client %s is shown only this once: the server keeps just a hash of it.\n", c.ID)
		}
	}
	return nil
}

// showClients prints clients as a table, or as JSON: the server's object as
// it is, or an array of them when many is set.
func showClients(cmd *cobra.Command, asJSON, many bool, raws []json.RawMessage) error {
	out := cmd.OutOrStdout()
	if asJSON {
		if !many && len(raws) == 1 {
			return writeJSON(out, raws[0])
		}
		if raws == nil {
			raws = []json.RawMessage{}
		}
		return writeJSON(out, raws)
	}
	return printClients(cmd, raws)
}

func clientPath(id string) string { return "/admin/clients/" + url.PathEscape(id) }

func newClients() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "clients",
		Aliases: []string{"client", "oauth2-clients"},
		Short:   "Create, list, show, change and delete OAuth2 clients of a running server",
		Long: `Create, list, show, change and delete the OAuth2 clients of a running server
through its admin API (--admin-url, or $` + envAdminURL + `).

The table format shows the main fields; --format json prints the server's
JSON as it is. A client secret appears only in the answer that created it.`,
	}
	cmd.AddCommand(newClientWrite(false), newClientList(), newClientGet(), newClientWrite(true), newClientDelete())
	return cmd
}

// newClientWrite builds "clients create" and, with update, "clients update".
func newClientWrite(update bool) *cobra.Command {
	var (
		f  apiFlags
		cf clientFlags
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an OAuth2 client",
		Long: `Create an OAuth2 client from the flags, or from a JSON client in --file (the
flags given then override its fields). Fields left out get the server's
defaults: a random client_id, a random secret for client_secret_basic and
client_secret_post clients, the authorization_code grant and the code response
type. The secret is printed once; keep it, it cannot be shown again.`,
		Example: `  warden clients create --name "Billing" --grant-type client_credentials --scope "invoices.read"
  warden clients create --file client.json --owner team-web --format json`,
		Args: nArgs(0, 0),
	}
	if update {
		cmd.Use, cmd.Short, cmd.Args = "update ID", "Change fields of an OAuth2 client; the others are kept", nArgs(1, 1)
		cmd.Long = `Change the fields of client ID given as flags (or in --file, whose fields
apply first) and keep every other field as it is: the client is read, changed
and written back whole. The secret is kept unless --secret is given; a new
secret drops any rotated one.`
		cmd.Example = `  warden clients update billing --name "Billing v2" --redirect-uri https://billing.example/cb
  warden clients update billing --audience ""   # no audience any more`
	}
	cmd.RunE = f.runE(func(cmd *cobra.Command, args []string, asJSON bool) error {
		changes := map[string]any{}
		n, err := cf.apply(cmd, changes)
		if err != nil {
			return err
		}
		var raw json.RawMessage
		if !update {
			if _, err := f.admin(cmd, http.MethodPost, "/admin/clients", changes, &raw); err != nil {
				return err
			}
			return showClients(cmd, asJSON, false, []json.RawMessage{raw})
		}
		if n == 0 && cf.file == "" {
			return errors.New("nothing to change: give the fields to change as flags or in --file")
		}
		if _, err := f.admin(cmd, http.MethodGet, clientPath(args[0]), nil, &raw); err != nil {
			return err
		}
		cur, err := decodeObject(raw)
		if err != nil {
			return fmt.Errorf("the server's client %s is not a JSON object: %v", args[0], err)
		}
		delete(cur, "created_at")
		delete(cur, "updated_at")
		maps.Copy(cur, changes)
		if _, err := f.admin(cmd, http.MethodPut, clientPath(args[0]), cur, &raw); err != nil {
			return err
		}
		return showClients(cmd, asJSON, false, []json.RawMessage{raw})
	})
	f.registerListeners(cmd, false, true)
	cf.register(cmd)
	return cmd
}

// nextPageToken reads page_token from the rel="next" target of a Link header.
func nextPageToken(link string) string {
	for _, part := range strings.Split(link, ",") {
		segs := strings.Split(part, ";")
		target := strings.Trim(strings.TrimSpace(segs[0]), "<>")
		for _, p := range segs[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "rel") && slices.Contains(strings.Fields(strings.Trim(v, `"`)), "next") {
				if u, err := url.Parse(target); err == nil {
					return u.Query().Get("page_token")
				}
			}
		}
	}
	return ""
}

func newClientList() *cobra.Command {
	var (
		f                      apiFlags
		pageSize               int
		pageToken, name, owner string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List OAuth2 clients, one page at a time",
		Long: `List OAuth2 clients ordered by client_id, one page at a time. When there are
more, the token of the next page is printed; pass it to --page-token. With
--format json the answer is {"clients": [...], "next_page_token": "..."}.`,
		Args: nArgs(0, 0),
		RunE: f.runE(func(cmd *cobra.Command, _ []string, asJSON bool) error {
			v := url.Values{}
			switch {
			case pageSize < 0:
				return errors.New("--page-size must be at least 1")
			case pageSize > 0:
				v.Set("page_size", strconv.Itoa(pageSize))
			}
			for k, val := range map[string]string{"page_token": pageToken, "client_name": name, "owner": owner} {
				if val != "" {
					v.Set(k, val)
				}
			}
			var raws []json.RawMessage
			h, err := f.client().do(cmd.Context(), http.MethodGet, f.adminURL, "/admin/clients", v, nil, &raws)
			if err != nil {
				return err
			}
			next := nextPageToken(h.Get("Link"))
			out := cmd.OutOrStdout()
			if raws == nil {
				raws = []json.RawMessage{}
			}
			if asJSON {
				return writeJSON(out, map[string]any{"clients": raws, "next_page_token": next})
			}
			if err := printClients(cmd, raws); err != nil {
				return err
			}
			if next != "" {
				fmt.Fprintf(out, "\nMore clients: --page-token %s\n", next)
			}
			return nil
		}),
	}
	f.registerListeners(cmd, false, true)
	fl := cmd.Flags()
	fl.IntVar(&pageSize, "page-size", 0, "clients per page (server default when 0)")
	fl.StringVar(&pageToken, "page-token", "", "start at this page (a token printed by an earlier call)")
	fl.StringVar(&name, "name", "", "only clients with exactly this client_name")
	fl.StringVar(&owner, "owner", "", "only clients of this owner")
	return cmd
}

func newClientGet() *cobra.Command {
	var f apiFlags
	cmd := &cobra.Command{
		Use:   "get ID...",
		Short: "Show OAuth2 clients",
		Long: `Show the OAuth2 clients with the given ids. With --format json one id prints
the client's JSON, several print an array. Unknown ids are reported and make
the command exit 1; the others are still shown.`,
		Args: nArgs(1, -1),
		RunE: f.runE(func(cmd *cobra.Command, args []string, asJSON bool) error {
			var raws []json.RawMessage
			ferr := forEach(cmd, args, "client", func(id string) error {
				var raw json.RawMessage
				if _, err := f.admin(cmd, http.MethodGet, clientPath(id), nil, &raw); err != nil {
					return err
				}
				raws = append(raws, raw)
				return nil
			})
			if len(raws) > 0 {
				if err := showClients(cmd, asJSON, len(args) > 1, raws); err != nil {
					return err
				}
			}
			return ferr
		}),
	}
	f.registerListeners(cmd, false, true)
	return cmd
}

func newClientDelete() *cobra.Command {
	var f apiFlags
	cmd := &cobra.Command{
		Use:   "delete ID...",
		Short: "Delete OAuth2 clients",
		Args:  nArgs(1, -1),
		RunE: f.runE(func(cmd *cobra.Command, args []string, asJSON bool) error {
			deleted := []string{}
			ferr := forEach(cmd, args, "client", func(id string) error {
				if _, err := f.admin(cmd, http.MethodDelete, clientPath(id), nil, nil); err != nil {
					return err
				}
				deleted = append(deleted, id)
				if !asJSON {
					fmt.Fprintf(cmd.OutOrStdout(), "Deleted OAuth2 client %s\n", id)
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

// --- keys ----------------------------------------------------------------

// keySetAnswer is a key set as the admin API sends it.
type keySetAnswer struct {
	Keys []json.RawMessage `json:"keys"`
}

type keyView struct {
	KID string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// privateMembers are the JSON Web Key members that hold secret material
// (RFC 7518 sections 6.2.2, 6.3.2 and 6.4; RFC 8037 section 2).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// publicKeys returns the keys without their secret members, and their views.
func publicKeys(ks keySetAnswer) ([]json.RawMessage, []keyView, error) {
	pub := make([]json.RawMessage, 0, len(ks.Keys))
	views := make([]keyView, 0, len(ks.Keys))
	for _, raw := range ks.Keys {
		var m map[string]json.RawMessage
		var v keyView
		if err := json.Unmarshal(raw, &m); err != nil || json.Unmarshal(raw, &v) != nil {
			return nil, nil, fmt.Errorf("the server's key is not a JSON Web Key: %s", raw)
		}
		for _, p := range privateMembers {
			delete(m, p)
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, nil, err
		}
		pub, views = append(pub, b), append(views, v)
	}
	return pub, views, nil
}

// showKeys prints keys as a KID ALG USE table, or their public parts as a
// JSON key set.
func showKeys(cmd *cobra.Command, asJSON bool, ks keySetAnswer) error {
	pub, views, err := publicKeys(ks)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if asJSON {
		return writeJSON(out, map[string]any{"keys": pub})
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KID\tALG\tUSE")
	for _, v := range views {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.KID, cell(v.Alg), cell(v.Use))
	}
	return tw.Flush()
}

func keysPath(set string, kid ...string) string {
	p := "/admin/keys/" + url.PathEscape(set)
	for _, k := range kid {
		p += "/" + url.PathEscape(k)
	}
	return p
}

func newKeys() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "keys",
		Aliases: []string{"jwks", "key"},
		Short:   "Create, rotate, list and delete JSON Web Keys of a running server",
		Long: `Manage the JSON Web Key sets of a running server through its admin API
(--admin-url, or $` + envAdminURL + `). A set is a named list of keys: the newest
signing key signs, and every key stays valid for verification until deleted.
The public keys of the sets that sign tokens (hydra.openid.id-token for ID
tokens) are published at /.well-known/jwks.json.

Only public key parts are printed; private and symmetric key material never is.`,
	}
	cmd.AddCommand(newKeyAdd(false), newKeyAdd(true), newKeyList(), newKeyDelete())
	return cmd
}

// newKeyAdd builds "keys create" and, with rotate, "keys rotate".
func newKeyAdd(rotate bool) *cobra.Command {
	var (
		f             apiFlags
		alg, kid, use string
	)
	cmd := &cobra.Command{
		Use:   "create SET",
		Short: "Generate a key into SET (created if new)",
		Long: `Generate a key for --alg into SET, creating the set if it is new. A key added
to an existing set becomes its newest; see also "keys rotate".`,
		Example: `  warden keys create hydra.jwt.access-token --alg ES256`,
		Args:    nArgs(1, 1),
	}
	if rotate {
		cmd.Use, cmd.Short, cmd.Example = "rotate SET", "Add a new key to an existing SET; the older keys stay for verification", ""
		cmd.Long = `Add a new key to the existing SET. The newest key signs from then on; the
older keys stay in the set, so what they signed still verifies, until they are
deleted with "keys delete SET KID". --alg and --use default to those of the
set's newest key. Prints the whole set, newest last.`
	}
	cmd.RunE = f.runE(func(cmd *cobra.Command, args []string, asJSON bool) error {
		set := args[0]
		var cur keySetAnswer
		var old []keyView
		if rotate {
			if _, err := f.admin(cmd, http.MethodGet, keysPath(set), nil, &cur); err != nil {
				var se *serverError
				if errors.As(err, &se) && se.Status == http.StatusNotFound {
					return fmt.Errorf("%w; to start a new set, use: warden keys create %s --alg ...", err, set)
				}
				return err
			}
			var err error
			if _, old, err = publicKeys(cur); err != nil {
				return err
			}
			if len(old) == 0 {
				return fmt.Errorf("key set %s holds no key; use: warden keys create %s --alg ...", set, set)
			}
			alg, use = cmp.Or(alg, old[len(old)-1].Alg), cmp.Or(use, old[len(old)-1].Use)
		}
		var added keySetAnswer
		body := map[string]string{"alg": alg, "kid": kid, "use": use}
		if _, err := f.admin(cmd, http.MethodPost, keysPath(set), body, &added); err != nil {
			return err
		}
		if !rotate || asJSON {
			return showKeys(cmd, asJSON, added)
		}
		if err := showKeys(cmd, false, keySetAnswer{Keys: append(cur.Keys, added.Keys...)}); err != nil {
			return err
		}
		if _, nv, _ := publicKeys(added); len(nv) == 1 {
			fmt.Fprintf(cmd.ErrOrStderr(), "Added key %s (%s) to set %s; the %d older key(s) stay for verification until deleted.\n",
				nv[0].KID, nv[0].Alg, set, len(old))
		}
		return nil
	})
	f.registerListeners(cmd, false, true)
	fl := cmd.Flags()
	if rotate {
		fl.StringVar(&alg, "alg", "", "algorithm of the new key (default: that of the newest key)")
		fl.StringVar(&use, "use", "", "sig or enc (default: that of the newest key)")
	} else {
		fl.StringVar(&alg, "alg", "", "algorithm: ES256, RS256, ES512, EdDSA, HS256 or HS512")
		fl.StringVar(&use, "use", "sig", "sig or enc")
		_ = cmd.MarkFlagRequired("alg")
	}
	fl.StringVar(&kid, "kid", "", "key id (random when left out)")
	return cmd
}

func newKeyList() *cobra.Command {
	var f apiFlags
	cmd := &cobra.Command{
		Use:   "list SET",
		Short: "List the keys of SET, newest last",
		Args:  nArgs(1, 1),
		RunE: f.runE(func(cmd *cobra.Command, args []string, asJSON bool) error {
			var ks keySetAnswer
			if _, err := f.admin(cmd, http.MethodGet, keysPath(args[0]), nil, &ks); err != nil {
				return err
			}
			return showKeys(cmd, asJSON, ks)
		}),
	}
	f.registerListeners(cmd, false, true)
	return cmd
}

func newKeyDelete() *cobra.Command {
	var f apiFlags
	cmd := &cobra.Command{
		Use:   "delete SET [KID]",
		Short: "Delete one key of SET, or the whole set",
		Long: `Delete the key KID of SET or, without KID, every key of SET. Tokens signed
with a deleted key no longer verify.`,
		Args: nArgs(1, 2),
		RunE: f.runE(func(cmd *cobra.Command, args []string, asJSON bool) error {
			if _, err := f.admin(cmd, http.MethodDelete, keysPath(args[0], args[1:]...), nil, nil); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			res := map[string]string{"set": args[0]}
			msg := "Deleted key set " + args[0]
			if len(args) == 2 {
				res["kid"] = args[1]
				msg = "Deleted key " + args[1] + " of set " + args[0]
			}
			if asJSON {
				return writeJSON(out, res)
			}
			fmt.Fprintln(out, msg)
			return nil
		}),
	}
	f.registerListeners(cmd, false, true)
	return cmd
}

// --- tokens --------------------------------------------------------------

func newToken() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Get an access token for a client, or introspect a token",
	}
	cmd.AddCommand(newTokenClientCredentials(), newTokenIntrospect())
	return cmd
}

func newTokenClientCredentials() *cobra.Command {
	var (
		f                  apiFlags
		id, secret, method string
		scopes, audience   []string
	)
	cmd := &cobra.Command{
		Use:   "client-credentials",
		Short: "Get an access token with the client credentials grant",
		Long: `Ask the token endpoint of the public API (--public-url, or $` + envPublicURL + `)
for an access token with the client credentials grant (RFC 6749 section 4.4).

Standard output gets the access token alone, so it can be piped; its type,
lifetime and scope go to standard error. --format json prints the server's
whole answer. The secret may come from $` + envClientSecret + ` instead of
--client-secret, which keeps it out of the process list.`,
		Example: `  warden token client-credentials --client-id billing --scope invoices.read
  TOKEN=$(warden token client-credentials --client-id billing --client-secret "$SECRET")`,
		Args: nArgs(0, 0),
		RunE: f.runE(func(cmd *cobra.Command, _ []string, asJSON bool) error {
			if secret == "" {
				secret = os.Getenv(envClientSecret)
			}
			if secret == "" {
				return errors.New("--client-secret is required (or set " + envClientSecret + ")")
			}
			form := url.Values{"grant_type": {"client_credentials"}}
			if s := joinWords(scopes); s != "" {
				form.Set("scope", s)
			}
			for _, a := range nonEmpty(audience) {
				form.Add("audience", a)
			}
			var auth func(*http.Request)
			switch method {
			case "client_secret_basic":
				// RFC 6749 section 2.3.1: both are form-encoded before Basic.
				auth = func(r *http.Request) { r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret)) }
			case "client_secret_post":
				form.Set("client_id", id)
				form.Set("client_secret", secret)
			default:
				return fmt.Errorf("--auth-method must be client_secret_basic or client_secret_post, not %q", method)
			}
			var raw json.RawMessage
			if _, err := f.client().postForm(cmd.Context(), f.publicURL, "/oauth2/token", form, auth, &raw); err != nil {
				return err
			}
			var tok struct {
				AccessToken string  `json:"access_token"`
				TokenType   string  `json:"token_type"`
				ExpiresIn   float64 `json:"expires_in"`
				Scope       string  `json:"scope"`
			}
			if err := json.Unmarshal(raw, &tok); err != nil {
				return fmt.Errorf("the token answer is not the expected JSON: %v", err)
			}
			if tok.AccessToken == "" {
				return errors.New("the token answer holds no access_token")
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), raw)
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok.AccessToken)
			info := []string{"token type " + cell(tok.TokenType)}
			if tok.ExpiresIn > 0 {
				d := time.Duration(tok.ExpiresIn) * time.Second
				info = append(info, fmt.Sprintf("expires in %s (%s)", d, time.Now().Add(d).UTC().Format(time.RFC3339)))
			}
			info = append(info, "scope: "+cell(tok.Scope))
			fmt.Fprintln(cmd.ErrOrStderr(), strings.Join(info, ", "))
			return nil
		}),
	}
	f.registerListeners(cmd, true, false)
	fl := cmd.Flags()
	fl.StringVar(&id, "client-id", "", "the client's id")
	fl.StringVar(&secret, "client-secret", "", "the client's secret (default $"+envClientSecret+")")
	fl.StringArrayVar(&scopes, "scope", nil, `scopes to ask for, space separated ("a b"); repeat to add more`)
	fl.StringArrayVar(&audience, "audience", nil, "an audience to ask for; repeat for several")
	fl.StringVar(&method, "auth-method", "client_secret_basic", "how the client authenticates: client_secret_basic or client_secret_post")
	_ = cmd.MarkFlagRequired("client-id")
	return cmd
}

// introspectOrder is the order of the well-known fields of an introspection
// answer in the table; any others follow, sorted.
var introspectOrder = []string{"active", "sub", "client_id", "scope", "token_type", "token_use", "aud",
	"iss", "exp", "iat", "nbf", "username", "obfuscated_subject", "ext"}

// introspectValue formats one field of an introspection answer; the times
// exp, iat and nbf (seconds since the epoch) as RFC 3339.
func introspectValue(k string, v any, now time.Time) string {
	if n, ok := v.(json.Number); ok && (k == "exp" || k == "iat" || k == "nbf") {
		if f, err := n.Float64(); err == nil && f > 0 && f < 1e11 {
			t := time.Unix(int64(f), 0).UTC()
			s := t.Format(time.RFC3339)
			if k == "exp" && !t.After(now) {
				s += " (expired)"
			}
			return s
		}
	}
	switch x := v.(type) {
	case string:
		return cell(x)
	case json.Number, bool:
		return fmt.Sprint(x)
	case []any:
		if len(x) == 1 {
			if s, ok := x[0].(string); ok {
				return s
			}
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func newTokenIntrospect() *cobra.Command {
	var (
		f      apiFlags
		scopes []string
	)
	cmd := &cobra.Command{
		Use:   "introspect TOKEN|-",
		Short: "Ask the server whether a token is active, and what it grants",
		Long: `Introspect TOKEN (RFC 7662) through the admin API (--admin-url, or
$` + envAdminURL + `); "-" reads the token from standard input. With --scope the
token is active only if it grants every scope given. Prints the answer's fields
(times in RFC 3339) and exits 0 whether the token is active or not.`,
		Example: `  warden token client-credentials --client-id billing | warden token introspect -`,
		Args:    nArgs(1, 1),
		RunE: f.runE(func(cmd *cobra.Command, args []string, asJSON bool) error {
			token := args[0]
			if token == "-" {
				b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), 1<<20))
				if err != nil {
					return err
				}
				token = strings.TrimSpace(string(b))
			}
			if token == "" {
				return errors.New("the token is empty")
			}
			form := url.Values{"token": {token}}
			if s := joinWords(scopes); s != "" {
				form.Set("scope", s)
			}
			var raw json.RawMessage
			if _, err := f.client().postForm(cmd.Context(), f.adminURL, "/admin/oauth2/introspect", form, nil, &raw); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, raw)
			}
			m, err := decodeObject(raw)
			if err != nil {
				return fmt.Errorf("the introspection answer is not a JSON object: %v", err)
			}
			rest := slices.DeleteFunc(slices.Sorted(maps.Keys(m)), func(k string) bool { return slices.Contains(introspectOrder, k) })
			now := time.Now()
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			for _, k := range append(slices.Clone(introspectOrder), rest...) {
				if v, ok := m[k]; ok {
					fmt.Fprintf(tw, "%s\t%s\n", k, introspectValue(k, v, now))
				}
			}
			return tw.Flush()
		}),
	}
	f.registerListeners(cmd, false, true)
	cmd.Flags().StringArrayVar(&scopes, "scope", nil, "scopes the token must grant, space separated; repeat to add more")
	return cmd
}

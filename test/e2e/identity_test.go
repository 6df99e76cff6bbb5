package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"

	ory "github.com/ory/client-go"
)

// identityEnv is a server with a mailbox, and Ory's SDK pointed at it.
type identityEnv struct {
	srv      *server
	mail     *mailbox
	frontend ory.FrontendAPI
	admin    ory.IdentityAPI
	courier  ory.CourierAPI
}

func startIdentity(t *testing.T, args ...string) *identityEnv {
	t.Helper()
	mb := startMailbox(t)
	args = append([]string{"--dev", "--set", "identity.courier.smtp.connection_uri=" + mb.uri(),
		"--set", "identity.courier.smtp.from_address=no-reply@warden.test"}, args...)
	s := start(t, t.TempDir(), nil, args...)
	pub := ory.NewConfiguration()
	pub.Servers = ory.ServerConfigurations{{URL: s.public}}
	adm := ory.NewConfiguration()
	adm.Servers = ory.ServerConfigurations{{URL: s.admin}}
	ac := ory.NewAPIClient(adm)
	return &identityEnv{srv: s, mail: mb, frontend: ory.NewAPIClient(pub).FrontendAPI, admin: ac.IdentityAPI, courier: ac.CourierAPI}
}

// apiBody returns the JSON body of an SDK error, or fails.
func apiBody(t *testing.T, err error) map[string]any {
	t.Helper()
	var oe *ory.GenericOpenAPIError
	if !errors.As(err, &oe) {
		t.Fatalf("want an API error with a body, got %v", err)
	}
	var m map[string]any
	if jerr := json.Unmarshal(oe.Body(), &m); jerr != nil {
		t.Fatalf("error body is not JSON: %s", oe.Body())
	}
	return m
}

// messageIDs lists the ids of a flow's form messages and of its nodes'
// messages (prefixed with the node name).
func messageIDs(flow map[string]any) []string {
	var out []string
	ui, _ := flow["ui"].(map[string]any)
	msgs, _ := ui["messages"].([]any)
	for _, m := range msgs {
		out = append(out, jsonNumber(m.(map[string]any)["id"]))
	}
	nodes, _ := ui["nodes"].([]any)
	for _, n := range nodes {
		nm := n.(map[string]any)
		attrs, _ := nm["attributes"].(map[string]any)
		ms, _ := nm["messages"].([]any)
		for _, m := range ms {
			out = append(out, attrs["name"].(string)+":"+jsonNumber(m.(map[string]any)["id"]))
		}
	}
	return out
}

func jsonNumber(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func has(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (e *identityEnv) register(t *testing.T, email, password string) *ory.SuccessfulNativeRegistration {
	t.Helper()
	ctx := context.Background()
	f, _, err := e.frontend.CreateNativeRegistrationFlow(ctx).Execute()
	if err != nil {
		t.Fatalf("create registration flow: %v", err)
	}
	body := ory.UpdateRegistrationFlowWithPasswordMethodAsUpdateRegistrationFlowBody(&ory.UpdateRegistrationFlowWithPasswordMethod{
		Method: "password", Password: password, Traits: map[string]any{"email": email}})
	out, _, err := e.frontend.UpdateRegistrationFlow(ctx).Flow(f.Id).UpdateRegistrationFlowBody(body).Execute()
	if err != nil {
		t.Fatalf("register %s: %v %v", email, err, bodyOf(err))
	}
	return out
}

func bodyOf(err error) string {
	var oe *ory.GenericOpenAPIError
	if errors.As(err, &oe) {
		return string(oe.Body())
	}
	return ""
}

func (e *identityEnv) login(ctx context.Context, identifier, password string) (*ory.SuccessfulNativeLogin, error) {
	f, _, err := e.frontend.CreateNativeLoginFlow(ctx).Execute()
	if err != nil {
		return nil, err
	}
	body := ory.UpdateLoginFlowWithPasswordMethodAsUpdateLoginFlowBody(&ory.UpdateLoginFlowWithPasswordMethod{
		Method: "password", Identifier: identifier, Password: password})
	out, _, err := e.frontend.UpdateLoginFlow(ctx).Flow(f.Id).UpdateLoginFlowBody(body).Execute()
	return out, err
}

func TestIdentityNativeFlows(t *testing.T) { eachDB(t, testNativeFlows) }

func testNativeFlows(t *testing.T, args ...string) {
	e := startIdentity(t, args...)
	ctx := context.Background()

	// Registration signs in at once and starts verification of the email.
	reg := e.register(t, "Ada@Example.com", "a fairly long passphrase")
	if reg.SessionToken == nil || reg.Session == nil || reg.Identity == nil {
		t.Fatalf("registration answer lacks session or identity: %+v", reg)
	}
	ada := reg.Identity.Id
	if got := reg.Identity.VerifiableAddresses; len(got) != 1 || got[0].Value != "ada@example.com" || got[0].Verified {
		t.Fatalf("verifiable addresses %+v", got)
	}
	var verifyFlow string
	for _, c := range reg.ContinueWith {
		if c.ContinueWithVerificationUi != nil {
			verifyFlow = c.ContinueWithVerificationUi.Flow.Id
		}
	}
	if verifyFlow == "" {
		t.Fatalf("no show_verification_ui in continue_with: %+v", reg.ContinueWith)
	}

	// whoami with the session token.
	se, _, err := e.frontend.ToSession(ctx).XSessionToken(*reg.SessionToken).Execute()
	if err != nil || se.Identity.Id != ada || !se.GetActive() {
		t.Fatalf("whoami: %v %v", err, bodyOf(err))
	}

	// Verification by the code from the email.
	_, code := e.mail.wait(t, "ada@example.com", regexp.MustCompile(`\b(\d{6})\b`))
	vb := ory.UpdateVerificationFlowWithCodeMethodAsUpdateVerificationFlowBody(&ory.UpdateVerificationFlowWithCodeMethod{
		Method: "code", Code: ory.PtrString(code)})
	vf, _, err := e.frontend.UpdateVerificationFlow(ctx).Flow(verifyFlow).UpdateVerificationFlowBody(vb).Execute()
	if err != nil || vf.State != "passed_challenge" {
		t.Fatalf("verification: %v %s", err, bodyOf(err))
	}
	id, _, err := e.admin.GetIdentity(ctx, ada).Execute()
	if err != nil || !id.VerifiableAddresses[0].Verified || id.VerifiableAddresses[0].Status != "completed" {
		t.Fatalf("address not verified: %+v %v", id, err)
	}
	// The code works once.
	if _, _, err := e.frontend.UpdateVerificationFlow(ctx).Flow(verifyFlow).UpdateVerificationFlowBody(vb).Execute(); err == nil {
		t.Fatal("a used verification code was accepted again")
	}

	// Login: right password; wrong password and unknown identifier look alike.
	lg, err := e.login(ctx, "ADA@example.com", "a fairly long passphrase")
	if err != nil || lg.SessionToken == nil || lg.Session.Identity.Id != ada {
		t.Fatalf("login: %v %s", err, bodyOf(err))
	}
	for _, c := range [][2]string{{"ada@example.com", "wrong password!"}, {"nobody@example.com", "a fairly long passphrase"}} {
		_, err := e.login(ctx, c[0], c[1])
		if ids := messageIDs(apiBody(t, err)); !has(ids, "4000006") {
			t.Fatalf("login %s: messages %v, want 4000006", c[0], ids)
		}
	}

	// Registration refusals: duplicate, invalid traits, weak password.
	f, _, _ := e.frontend.CreateNativeRegistrationFlow(ctx).Execute()
	for name, c := range map[string]struct {
		traits map[string]any
		pw     string
		want   string
	}{
		"duplicate": {map[string]any{"email": "ada@EXAMPLE.com"}, "another long passphrase", "4000007"},
		"bad email": {map[string]any{"email": "not-an-email"}, "another long passphrase", "traits.email:4000001"},
		"missing":   {map[string]any{}, "another long passphrase", "traits.email:4000002"},
		"short":     {map[string]any{"email": "new@example.com"}, "short", "password:4000032"},
		"similar":   {map[string]any{"email": "new@example.com"}, "new@example.com", "password:4000031"},
	} {
		body := ory.UpdateRegistrationFlowWithPasswordMethodAsUpdateRegistrationFlowBody(&ory.UpdateRegistrationFlowWithPasswordMethod{
			Method: "password", Password: c.pw, Traits: c.traits})
		_, resp, err := e.frontend.UpdateRegistrationFlow(ctx).Flow(f.Id).UpdateRegistrationFlowBody(body).Execute()
		if resp == nil || resp.StatusCode != 400 {
			t.Fatalf("%s: %v", name, err)
		}
		if ids := messageIDs(apiBody(t, err)); !has(ids, c.want) {
			t.Errorf("%s: messages %v, want %s", name, ids, c.want)
		}
	}
	if list, _, err := e.admin.ListIdentities(ctx).Execute(); err != nil || len(list) != 1 {
		t.Fatalf("refused registrations left identities: %d %v", len(list), err)
	}

	// Settings: profile and password in a fresh session.
	tok := *lg.SessionToken
	sf, _, err := e.frontend.CreateNativeSettingsFlow(ctx).XSessionToken(tok).Execute()
	if err != nil || sf.Identity.Id != ada {
		t.Fatalf("settings flow: %v %s", err, bodyOf(err))
	}
	pb := ory.UpdateSettingsFlowWithPasswordMethodAsUpdateSettingsFlowBody(&ory.UpdateSettingsFlowWithPasswordMethod{
		Method: "password", Password: "a brand new passphrase"})
	sf2, _, err := e.frontend.UpdateSettingsFlow(ctx).Flow(sf.Id).XSessionToken(tok).UpdateSettingsFlowBody(pb).Execute()
	if err != nil || sf2.State != "success" {
		t.Fatalf("settings password: %v %s", err, bodyOf(err))
	}
	if _, err := e.login(ctx, "ada@example.com", "a fairly long passphrase"); err == nil {
		t.Fatal("the old password still works")
	}
	if _, err := e.login(ctx, "ada@example.com", "a brand new passphrase"); err != nil {
		t.Fatalf("new password: %v %s", err, bodyOf(err))
	}

	// Recovery by code: a session and a settings flow to set a password.
	rf, _, err := e.frontend.CreateNativeRecoveryFlow(ctx).Execute()
	if err != nil {
		t.Fatal(err)
	}
	e.mail.take()
	rb := ory.UpdateRecoveryFlowWithCodeMethodAsUpdateRecoveryFlowBody(&ory.UpdateRecoveryFlowWithCodeMethod{
		Method: "code", Email: ory.PtrString("ada@example.com")})
	rf2, _, err := e.frontend.UpdateRecoveryFlow(ctx).Flow(rf.Id).UpdateRecoveryFlowBody(rb).Execute()
	if err != nil || rf2.State != "sent_email" {
		t.Fatalf("recovery email: %v %s", err, bodyOf(err))
	}
	_, rcode := e.mail.wait(t, "ada@example.com", regexp.MustCompile(`\b(\d{6})\b`))
	wrong := ory.UpdateRecoveryFlowWithCodeMethodAsUpdateRecoveryFlowBody(&ory.UpdateRecoveryFlowWithCodeMethod{Method: "code", Code: ory.PtrString("000000")})
	if rcode != "000000" {
		_, _, err = e.frontend.UpdateRecoveryFlow(ctx).Flow(rf.Id).UpdateRecoveryFlowBody(wrong).Execute()
		if ids := messageIDs(apiBody(t, err)); !has(ids, "code:4060006") {
			t.Fatalf("wrong recovery code: %v", ids)
		}
	}
	good := ory.UpdateRecoveryFlowWithCodeMethodAsUpdateRecoveryFlowBody(&ory.UpdateRecoveryFlowWithCodeMethod{Method: "code", Code: ory.PtrString(rcode)})
	rf3, _, err := e.frontend.UpdateRecoveryFlow(ctx).Flow(rf.Id).UpdateRecoveryFlowBody(good).Execute()
	if err != nil || rf3.State != "passed_challenge" {
		t.Fatalf("recovery code: %v %s", err, bodyOf(err))
	}
	var rtok, settingsID string
	for _, c := range rf3.ContinueWith {
		if c.ContinueWithSetOrySessionToken != nil {
			rtok = c.ContinueWithSetOrySessionToken.OrySessionToken
		}
		if c.ContinueWithSettingsUi != nil {
			settingsID = c.ContinueWithSettingsUi.Flow.Id
		}
	}
	if rtok == "" || settingsID == "" {
		t.Fatalf("recovery continue_with: %+v", rf3.ContinueWith)
	}
	pb = ory.UpdateSettingsFlowWithPasswordMethodAsUpdateSettingsFlowBody(&ory.UpdateSettingsFlowWithPasswordMethod{
		Method: "password", Password: "recovered passphrase 42"})
	if _, _, err := e.frontend.UpdateSettingsFlow(ctx).Flow(settingsID).XSessionToken(rtok).UpdateSettingsFlowBody(pb).Execute(); err != nil {
		t.Fatalf("password after recovery: %v %s", err, bodyOf(err))
	}
	if _, err := e.login(ctx, "ada@example.com", "recovered passphrase 42"); err != nil {
		t.Fatalf("login after recovery: %v", err)
	}
	// Recovery for an unknown address answers the same and sends nothing.
	rf, _, _ = e.frontend.CreateNativeRecoveryFlow(ctx).Execute()
	rb = ory.UpdateRecoveryFlowWithCodeMethodAsUpdateRecoveryFlowBody(&ory.UpdateRecoveryFlowWithCodeMethod{
		Method: "code", Email: ory.PtrString("ghost@example.com")})
	if rf2, _, err = e.frontend.UpdateRecoveryFlow(ctx).Flow(rf.Id).UpdateRecoveryFlowBody(rb).Execute(); err != nil || rf2.State != "sent_email" {
		t.Fatalf("recovery for an unknown address: %v", err)
	}

	// Logout ends the session.
	if _, err := e.frontend.PerformNativeLogout(ctx).PerformNativeLogoutBody(ory.PerformNativeLogoutBody{SessionToken: tok}).Execute(); err != nil {
		t.Fatalf("logout: %v %s", err, bodyOf(err))
	}
	if _, resp, _ := e.frontend.ToSession(ctx).XSessionToken(tok).Execute(); resp == nil || resp.StatusCode != 401 {
		t.Fatalf("whoami after logout: %v", resp)
	}
	for _, m := range e.mail.take() {
		if strings.EqualFold(m.to, "ghost@example.com") {
			t.Fatal("an email went to an address no identity has")
		}
	}
	_ = http.StatusOK
}

// adminOAuth2 is Ory's SDK for the OAuth2 admin API of the server.
func (e *identityEnv) adminOAuth2() ory.OAuth2API {
	adm := ory.NewConfiguration()
	adm.Servers = ory.ServerConfigurations{{URL: e.srv.admin}}
	return ory.NewAPIClient(adm).OAuth2API
}

package e2e

import (
	"context"
	"io"
	"mime/quotedprintable"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	ory "github.com/ory/client-go"
)

// qp decodes a quoted-printable email body (soft line breaks joined).
func qp(s string) string {
	b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(s)))
	if err != nil {
		return s
	}
	return string(b)
}

// Verification by link, settings' profile method, re-authentication for
// a password change in an old session, and the courier's admin API.
func TestIdentityLinkReauthAndCourier(t *testing.T) { eachDB(t, testLinkReauth) }

func testLinkReauth(t *testing.T, args ...string) {
	e := startIdentity(t, append(args, "--set", "identity.selfservice.flows.verification.use=link",
		"--set", "identity.selfservice.flows.settings.privileged_session_max_age=1s")...)
	ctx := context.Background()
	reg := e.register(t, "cy@example.com", "cys long passphrase")
	tok := *reg.SessionToken

	// The verification email carries a link; following it verifies the address.
	raw, _ := e.mail.wait(t, "cy@example.com", regexp.MustCompile(`self-service/verification`))
	link := regexp.MustCompile(`https?://[^\s"<>]+/self-service/verification\?[^\s"<>]+`).FindString(qp(raw))
	if link == "" {
		t.Fatalf("no verification link in:\n%s", qp(raw))
	}
	link = strings.ReplaceAll(link, "&amp;", "&")
	resp, err := jarClient(t).Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("following the verification link: %d", resp.StatusCode)
	}
	id, _, _ := e.admin.GetIdentity(ctx, reg.Identity.Id).Execute()
	if !id.VerifiableAddresses[0].Verified {
		t.Fatal("the link did not verify the address")
	}
	if resp, _ := jarClient(t).Get(link); resp.StatusCode != http.StatusSeeOther && resp.StatusCode != 400 {
		t.Fatalf("second use of the link: %d", resp.StatusCode)
	}

	// Profile: traits change (same identifier, no re-authentication needed).
	sf, _, err := e.frontend.CreateNativeSettingsFlow(ctx).XSessionToken(tok).Execute()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // the session is no longer privileged
	pb := ory.UpdateSettingsFlowWithProfileMethodAsUpdateSettingsFlowBody(&ory.UpdateSettingsFlowWithProfileMethod{
		Method: "profile", Traits: map[string]any{"email": "cy@example.com", "name": map[string]any{"first": "Cy"}}})
	out, _, err := e.frontend.UpdateSettingsFlow(ctx).Flow(sf.Id).XSessionToken(tok).UpdateSettingsFlowBody(pb).Execute()
	if err != nil || out.State != "success" {
		t.Fatalf("profile: %v %s", err, bodyOf(err))
	}
	if got := out.Identity.Traits.(map[string]any)["name"]; got == nil {
		t.Fatalf("traits not updated: %v", out.Identity.Traits)
	}
	// Changing the email (an identifier) in an old session needs a fresh sign-in.
	pb = ory.UpdateSettingsFlowWithProfileMethodAsUpdateSettingsFlowBody(&ory.UpdateSettingsFlowWithProfileMethod{
		Method: "profile", Traits: map[string]any{"email": "cy2@example.com"}})
	_, resp, err = e.frontend.UpdateSettingsFlow(ctx).Flow(sf.Id).XSessionToken(tok).UpdateSettingsFlowBody(pb).Execute()
	if resp == nil || resp.StatusCode != 403 || errID(apiBody(t, err)) != "session_refresh_required" {
		t.Fatalf("identifier change in an old session: %v %s", resp, bodyOf(err))
	}
	pw := ory.UpdateSettingsFlowWithPasswordMethodAsUpdateSettingsFlowBody(&ory.UpdateSettingsFlowWithPasswordMethod{
		Method: "password", Password: "cys newer passphrase"})
	_, resp, err = e.frontend.UpdateSettingsFlow(ctx).Flow(sf.Id).XSessionToken(tok).UpdateSettingsFlowBody(pw).Execute()
	if resp == nil || resp.StatusCode != 403 || errID(apiBody(t, err)) != "session_refresh_required" {
		t.Fatalf("password change in an old session: %v %s", resp, bodyOf(err))
	}
	// Re-authenticate the same session (refresh=true), then it works.
	lf, _, err := e.frontend.CreateNativeLoginFlow(ctx).Refresh(true).XSessionToken(tok).Execute()
	if err != nil {
		t.Fatalf("refresh login flow: %v %s", err, bodyOf(err))
	}
	lb := ory.UpdateLoginFlowWithPasswordMethodAsUpdateLoginFlowBody(&ory.UpdateLoginFlowWithPasswordMethod{
		Method: "password", Identifier: "cy@example.com", Password: "cys long passphrase"})
	ls, _, err := e.frontend.UpdateLoginFlow(ctx).Flow(lf.Id).XSessionToken(tok).UpdateLoginFlowBody(lb).Execute()
	if err != nil || ls.Session.Id != reg.Session.Id {
		t.Fatalf("re-authentication: %v %s", err, bodyOf(err))
	}
	if _, _, err := e.frontend.UpdateSettingsFlow(ctx).Flow(sf.Id).XSessionToken(tok).UpdateSettingsFlowBody(pw).Execute(); err != nil {
		t.Fatalf("password after re-authentication: %v %s", err, bodyOf(err))
	}
	// Another identity's session cannot use this settings flow.
	other := e.register(t, "dee@example.com", "dees long passphrase")
	_, resp, _ = e.frontend.UpdateSettingsFlow(ctx).Flow(sf.Id).XSessionToken(*other.SessionToken).UpdateSettingsFlowBody(pw).Execute()
	if resp == nil || resp.StatusCode != 403 {
		t.Fatalf("settings flow of another identity: %v", resp)
	}

	// The courier's admin API lists what was sent.
	msgs, _, err := e.courier.ListCourierMessages(ctx).Recipient("cy@example.com").Execute()
	if err != nil || len(msgs) == 0 {
		t.Fatalf("courier messages: %d %v", len(msgs), err)
	}
	m, _, err := e.courier.GetCourierMessage(ctx, msgs[0].Id).Execute()
	if err != nil || m.Recipient != "cy@example.com" {
		t.Fatalf("courier message: %v", err)
	}
}

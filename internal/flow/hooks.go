package flow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-jsonnet"

	"github.com/warden-iam/warden/internal/identity"
)

// Web hooks call out to the operator's services at points of a flow: before
// registration starts, and after registration, login, settings, recovery
// and verification succeed. The request body is the result of a Jsonnet
// template given the hook context (ctx: the flow, the identity, the
// request's method, URL and headers, the transient payload). A hook may
// interrupt the flow (can_interrupt): a 4xx/5xx answer stops it, with the
// messages the answer carries shown on the form. After registration, a
// hook whose answer is parsed (response.parse) runs before the identity is
// stored and may change its traits and metadata.

// Hook points.
const (
	HookRegistrationBefore = "registration.before"
	HookRegistrationAfter  = "registration.after"
	HookLoginAfter         = "login.after"
	HookSettingsAfter      = "settings.after"
	HookRecoveryAfter      = "recovery.after"
	HookVerificationAfter  = "verification.after"
)

// WebHook is one configured web_hook.
type WebHook struct {
	URL     string
	Method  string // default POST
	Body    string // Jsonnet source; empty sends the context as JSON
	Headers map[string]string
	// Auth: "api_key" (Name, Value, In header|cookie) or "basic_auth"
	// (User, Password).
	AuthType, AuthName, AuthValue, AuthIn, AuthUser, AuthPassword string
	// Parse: the answer may change the identity (registration, before it
	// is stored). Ignore: fire and forget. CanInterrupt: an error answer
	// stops the flow.
	Parse, Ignore, CanInterrupt bool
}

// maxHookAnswer bounds a hook's answer that is read.
const maxHookAnswer = 1 << 20

// hookContext is what the Jsonnet template sees as ctx.
type hookContext struct {
	Flow             *Flow              `json:"flow"`
	Identity         *identity.Identity `json:"identity,omitempty"`
	RequestHeaders   http.Header        `json:"request_headers"`
	RequestMethod    string             `json:"request_method"`
	RequestURL       string             `json:"request_url"`
	TransientPayload any                `json:"transient_payload,omitempty"`
}

// hookInterrupt is a hook's refusal, with its messages for the form.
type hookInterrupt struct {
	nodes  map[string][]Text
	global []Text
}

func (h *hookInterrupt) Error() string { return "interrupted by a web hook" }

// hookChange is what a parsed answer may change.
type hookChange struct {
	Identity *struct {
		Traits         json.RawMessage `json:"traits"`
		MetadataPublic json.RawMessage `json:"metadata_public"`
		MetadataAdmin  json.RawMessage `json:"metadata_admin"`
	} `json:"identity"`
}

// safeHeaders are the request headers a hook may see (no cookies or
// credentials).
var safeHeaders = []string{"Accept", "Accept-Language", "User-Agent", "X-Forwarded-For", "Origin", "Referer", "True-Client-Ip", "X-Real-Ip"}

// runHooks runs the hooks of a point whose Parse flag is parse. It
// returns the changes parsed answers asked for (in order) and a
// *hookInterrupt when one interrupted.
func (s *Service) runHooks(r *http.Request, point string, parse bool, f *Flow, i *identity.Identity, body map[string]any) ([]hookChange, error) {
	hooks := s.o.Hooks[point]
	if len(hooks) == 0 {
		return nil, nil
	}
	hc := hookContext{Flow: f, Identity: i, RequestMethod: r.Method, RequestURL: s.public(r.URL.RequestURI()), RequestHeaders: http.Header{}}
	for _, h := range safeHeaders {
		if v := r.Header.Values(h); len(v) > 0 {
			hc.RequestHeaders[h] = v
		}
	}
	if body != nil {
		hc.TransientPayload = body["transient_payload"]
	}
	ctxJSON, err := json.Marshal(hc)
	if err != nil {
		return nil, err
	}
	var changes []hookChange
	for _, h := range hooks {
		if h.Parse != parse {
			continue
		}
		payload, err := renderHookBody(h.Body, ctxJSON)
		if err != nil {
			return nil, fmt.Errorf("web hook %s: %w", h.URL, err)
		}
		if h.Ignore {
			go func() {
				ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 30*time.Second)
				defer cancel()
				if _, _, err := s.callHook(ctx, h, payload); err != nil {
					s.logHook(h, err)
				}
			}()
			continue
		}
		status, answer, err := s.callHook(r.Context(), h, payload)
		if err != nil {
			if h.CanInterrupt {
				return nil, fmt.Errorf("web hook %s: %w", h.URL, err)
			}
			s.logHook(h, err)
			continue
		}
		if status >= 400 {
			if h.CanInterrupt {
				return nil, parseInterrupt(answer)
			}
			s.logHook(h, fmt.Errorf("answered %d", status))
			continue
		}
		if h.Parse && len(bytes.TrimSpace(answer)) > 0 {
			var c hookChange
			if err := json.Unmarshal(answer, &c); err != nil {
				return nil, fmt.Errorf("web hook %s: the answer is not JSON: %w", h.URL, err)
			}
			changes = append(changes, c)
		}
	}
	return changes, nil
}

func (s *Service) logHook(h WebHook, err error) {
	if s.o.Logger != nil {
		s.o.Logger.Warn("web hook failed", slog.String("url", h.URL), slog.String("error", err.Error()))
	}
}

// renderHookBody evaluates the Jsonnet template with ctx (as an external
// variable and, for a template that is a function, as its argument).
func renderHookBody(src string, ctxJSON []byte) ([]byte, error) {
	if strings.TrimSpace(src) == "" {
		return ctxJSON, nil
	}
	vm := jsonnet.MakeVM()
	vm.MaxStack = 200
	vm.ExtCode("ctx", string(ctxJSON))
	vm.TLACode("ctx", string(ctxJSON))
	out, err := vm.EvaluateAnonymousSnippet("web_hook.jsonnet", src)
	if err != nil {
		return nil, fmt.Errorf("body template: %w", err)
	}
	return []byte(out), nil
}

func (s *Service) callHook(ctx context.Context, h WebHook, payload []byte) (int, []byte, error) {
	method := h.Method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, h.URL, bytes.NewReader(payload))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	for k, v := range h.Headers {
		req.Header.Set(k, v)
	}
	switch h.AuthType {
	case "api_key":
		if h.AuthIn == "cookie" {
			req.AddCookie(&http.Cookie{Name: h.AuthName, Value: h.AuthValue})
		} else {
			req.Header.Set(h.AuthName, h.AuthValue)
		}
	case "basic_auth":
		req.SetBasicAuth(h.AuthUser, h.AuthPassword)
	}
	client := s.o.HookClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxHookAnswer))
	return resp.StatusCode, b, err
}

// parseInterrupt reads the messages of an interrupting answer:
// {"messages":[{"instance_ptr":"#/traits/email","messages":[{id,text,type,context}]}]}.
func parseInterrupt(answer []byte) error {
	var a struct {
		Messages []struct {
			InstancePtr string `json:"instance_ptr"`
			Messages    []Text `json:"messages"`
		} `json:"messages"`
	}
	hi := &hookInterrupt{nodes: map[string][]Text{}}
	if err := json.Unmarshal(answer, &a); err != nil || len(a.Messages) == 0 {
		hi.global = []Text{errGeneric("The request was refused.")}
		return hi
	}
	for _, m := range a.Messages {
		for _, t := range m.Messages {
			if t.Type == "" {
				t.Type = TypeError
			}
			if t.ID == 0 {
				t.ID = 4000001
			}
			name := strings.ReplaceAll(strings.TrimPrefix(strings.TrimPrefix(m.InstancePtr, "#"), "/"), "/", ".")
			if name == "" {
				hi.global = append(hi.global, t)
			} else {
				hi.nodes[name] = append(hi.nodes[name], t)
			}
		}
	}
	if len(hi.nodes) == 0 && len(hi.global) == 0 {
		hi.global = []Text{errGeneric("The request was refused.")}
	}
	return hi
}

// showInterrupt puts a hook's refusal on the flow; false if err is not one.
func showInterrupt(f *Flow, err error) bool {
	var hi *hookInterrupt
	if !errors.As(err, &hi) {
		return false
	}
	for name, ts := range hi.nodes {
		for _, t := range ts {
			f.UI.AddNodeMessage(name, t)
		}
	}
	f.UI.Messages = append(f.UI.Messages, hi.global...)
	return true
}

// afterHooks runs the hooks of a point after its change is made: nothing
// can be undone then, so failures are logged.
func (s *Service) afterHooks(r *http.Request, point string, f *Flow, body map[string]any) {
	var i *identity.Identity
	if f.Private.IdentityID != "" {
		i, _ = s.identities.Get(r.Context(), f.Private.IdentityID, nil)
	}
	if _, err := s.runHooks(r, point, false, f, i, body); err != nil && s.o.Logger != nil {
		s.o.Logger.Warn("web hook after "+point+" failed", slog.String("error", err.Error()))
	}
}

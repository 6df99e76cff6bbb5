package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/warden-iam/warden/internal/config"
	"github.com/warden-iam/warden/internal/courier"
)

// courierConfig is the part of the identity section (Kratos's courier
// keys) the courier reads.
type courierConfig struct {
	Courier struct {
		SMTP struct {
			ConnectionURI  string            `json:"connection_uri"`
			ClientCertPath string            `json:"client_cert_path"`
			ClientKeyPath  string            `json:"client_key_path"`
			FromAddress    string            `json:"from_address"`
			FromName       string            `json:"from_name"`
			Headers        map[string]string `json:"headers"`
			LocalName      string            `json:"local_name"`
		} `json:"smtp"`
		Templates            map[string]courierTemplateKind `json:"templates"`
		TemplateOverridePath string                         `json:"template_override_path"`
		MessageRetries       *int                           `json:"message_retries"`
		Worker               struct {
			PullCount int              `json:"pull_count"`
			PullWait  *config.Duration `json:"pull_wait"`
		} `json:"worker"`
		DeliveryStrategy string `json:"delivery_strategy"`
	} `json:"courier"`
}

// courierTemplateKind is courier.templates.<kind>: its valid and invalid
// variants.
type courierTemplateKind struct {
	Valid   *courierTemplateVariant `json:"valid"`
	Invalid *courierTemplateVariant `json:"invalid"`
}

type courierTemplateVariant struct {
	Email struct {
		Subject string `json:"subject"`
		Body    struct {
			HTML      string `json:"html"`
			Plaintext string `json:"plaintext"`
		} `json:"body"`
	} `json:"email"`
}

// errNoSMTP fails deliveries when no SMTP server is configured; the worker
// does not run then, so it is only reached by direct use.
var errNoSMTP = errors.New("courier: identity.courier.smtp.connection_uri is not set")

type noSender struct{}

func (noSender) Send(context.Context, courier.Email) error { return errNoSMTP }

// buildCourier constructs the courier from the identity section's courier
// keys, mounts its admin API, registers its metrics and, when an SMTP
// server is configured, starts its worker with the app's background work.
// Without one, messages stay queued (and readable through the admin API)
// until a server is configured.
func (a *App) buildCourier(identityCfg config.Section) (*courier.Service, error) {
	var cfg courierConfig
	if err := identityCfg.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("identity.courier: %w", err)
	}
	c := cfg.Courier
	switch c.DeliveryStrategy {
	case "", "smtp":
	default:
		return nil, fmt.Errorf("identity.courier.delivery_strategy: %q is not supported; use smtp", c.DeliveryStrategy)
	}

	sources := map[courier.TemplateType]courier.TemplateSource{}
	kinds := make([]string, 0, len(c.Templates))
	for k := range c.Templates {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	known := map[courier.TemplateType]bool{}
	for _, t := range courier.TemplateTypes {
		known[t] = true
	}
	for _, kind := range kinds {
		for variant, v := range map[string]*courierTemplateVariant{"valid": c.Templates[kind].Valid, "invalid": c.Templates[kind].Invalid} {
			if v == nil {
				continue
			}
			t := courier.TemplateType(kind + "_" + variant)
			if !known[t] {
				a.Log.Warn("courier: ignoring templates of a message type Warden does not send", "key", "identity.courier.templates."+kind+"."+variant)
				continue
			}
			sources[t] = courier.TemplateSource{Subject: v.Email.Subject, HTML: v.Email.Body.HTML, Plaintext: v.Email.Body.Plaintext}
		}
	}
	tmpl, err := courier.LoadTemplates(courier.TemplateOptions{OverridePath: c.TemplateOverridePath, Sources: sources})
	if err != nil {
		return nil, fmt.Errorf("identity.courier.templates: %w", err)
	}

	o := courier.Options{Templates: tmpl, Logger: a.Log, PullCount: c.Worker.PullCount}
	if c.MessageRetries != nil {
		switch n := *c.MessageRetries; {
		case n < 0:
			return nil, fmt.Errorf("identity.courier.message_retries: must be at least 0, not %d", n)
		case n == 0:
			o.Retries = -1 // no retry
		default:
			o.Retries = n
		}
	}
	if c.Worker.PullCount < 0 {
		return nil, fmt.Errorf("identity.courier.worker.pull_count: must be at least 1, not %d", c.Worker.PullCount)
	}
	if c.Worker.PullWait != nil {
		if o.PullWait = time.Duration(*c.Worker.PullWait); o.PullWait <= 0 {
			return nil, errors.New("identity.courier.worker.pull_wait: must be longer than 0s")
		}
	}

	var sender courier.Sender = noSender{}
	if c.SMTP.ConnectionURI != "" {
		s, err := courier.NewSMTPSender(courier.SMTPOptions{
			ConnectionURI:  c.SMTP.ConnectionURI,
			FromAddress:    c.SMTP.FromAddress,
			FromName:       c.SMTP.FromName,
			Headers:        c.SMTP.Headers,
			LocalName:      c.SMTP.LocalName,
			ClientCertPath: c.SMTP.ClientCertPath,
			ClientKeyPath:  c.SMTP.ClientKeyPath,
		})
		if err != nil {
			return nil, fmt.Errorf("identity.courier.%w", err)
		}
		sender = s
	}
	svc, err := courier.NewService(a.Store.Courier(), sender, o)
	if err != nil {
		return nil, err
	}
	if err := a.Metrics.Registry.Register(svc.Collector()); err != nil {
		return nil, fmt.Errorf("register courier metrics: %w", err)
	}
	courier.NewHandler(svc).MountAdmin(a.Admin)
	if c.SMTP.ConnectionURI == "" {
		a.Log.Info("courier: identity.courier.smtp.connection_uri is not set; email stays queued")
	} else {
		a.background = append(a.background, svc.Run)
	}
	return svc, nil
}

package config

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is Warden's whole configuration after files, environment and flags are
// merged and validated. Service sections stay as raw JSON: each service decodes
// the keys it owns with Section.Decode, so this package never grows with them.
type Config struct {
	DSN     string  `json:"dsn"`
	Dev     bool    `json:"dev"`
	Serve   Serve   `json:"serve"`
	Log     Log     `json:"log"`
	Secrets Secrets `json:"secrets"`

	Identity   Section `json:"identity"`
	UI         Section `json:"ui"`
	OAuth2     Section `json:"oauth2"`
	Permission Section `json:"permission"`
	Proxy      Section `json:"proxy"`

	// DataDir holds the embedded database when dsn is not set ($WARDEN_DATA_DIR,
	// default ./warden-data).
	DataDir string `json:"-"`
	// Files are the configuration files that were read, in order.
	Files []string `json:"-"`
}

// Serve configures the two listeners.
type Serve struct {
	Public          Listener `json:"public"`
	Admin           Listener `json:"admin"`
	MaxBodyBytes    int64    `json:"max_body_bytes"`
	ShutdownTimeout Duration `json:"shutdown_timeout"`
}

// Listener is one HTTP listener.
type Listener struct {
	Host       string     `json:"host"`
	Port       int        `json:"port"`
	BaseURL    string     `json:"base_url"`
	RequestLog RequestLog `json:"request_log"`
	CORS       CORS       `json:"cors"`
}

// CORS configures cross-origin requests to a listener (public only).
type CORS struct {
	Enabled          bool     `json:"enabled"`
	AllowedOrigins   []string `json:"allowed_origins"`
	AllowedMethods   []string `json:"allowed_methods"`
	AllowedHeaders   []string `json:"allowed_headers"`
	ExposedHeaders   []string `json:"exposed_headers"`
	AllowCredentials *bool    `json:"allow_credentials"`
	MaxAge           int      `json:"max_age"`
}

// RequestLog tunes access logging.
type RequestLog struct {
	DisableForHealth bool `json:"disable_for_health"`
}

// Addr is host:port for net.Listen.
func (l Listener) Addr() string { return net.JoinHostPort(l.Host, strconv.Itoa(l.Port)) }

// Log configures structured logging.
type Log struct {
	Level               string `json:"level"`
	Format              string `json:"format"`
	LeakSensitiveValues bool   `json:"leak_sensitive_values"`
}

// Secrets are lists where the first entry signs or encrypts and every entry
// verifies or decrypts.
type Secrets struct {
	System []string `json:"system"`
	Cookie []string `json:"cookie"`
	Cipher []string `json:"cipher"`
}

// Section is the raw JSON of one service section.
type Section struct{ raw json.RawMessage }

// UnmarshalJSON keeps the section as it is.
func (s *Section) UnmarshalJSON(b []byte) error {
	s.raw = append(json.RawMessage(nil), b...)
	return nil
}

// MarshalJSON writes the section back.
func (s Section) MarshalJSON() ([]byte, error) {
	if len(s.raw) == 0 {
		return []byte("{}"), nil
	}
	return s.raw, nil
}

// Decode fills v (a struct with json tags) from the section. Keys the section
// does not set keep the values v already holds, so callers pass their defaults.
func (s Section) Decode(v any) error {
	if len(s.raw) == 0 {
		return nil
	}
	return json.Unmarshal(s.raw, v)
}

// Duration is a time.Duration written as "15s" in configuration.
type Duration time.Duration

// UnmarshalJSON parses "1h30m" style strings.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// Default ports, as in Ory Kratos.
const (
	DefaultPublicPort = 4433
	DefaultAdminPort  = 4434
)

// Default is the configuration Warden runs with when nothing is set.
func Default() Config {
	return Config{
		Serve: Serve{
			Public:          Listener{Host: "127.0.0.1", Port: DefaultPublicPort},
			Admin:           Listener{Host: "127.0.0.1", Port: DefaultAdminPort},
			MaxBodyBytes:    1 << 20,
			ShutdownTimeout: Duration(15 * time.Second),
		},
		Log: Log{Level: "info", Format: "json"},
	}
}

// finish fills values derived from others once everything is merged.
func (c *Config) finish(env func(string) (string, bool)) {
	if d, ok := env("WARDEN_DATA_DIR"); ok && d != "" {
		c.DataDir = d
	}
	if c.DataDir == "" {
		c.DataDir = "warden-data"
	}
	if c.DSN == "" {
		c.DSN = "sqlite://" + filepath.ToSlash(filepath.Join(c.DataDir, "warden.db"))
	}
	// With port 0 the address is known only once the listener is bound; the
	// server fills the base URL in then.
	if c.Serve.Public.BaseURL == "" && c.Serve.Public.Port != 0 {
		c.Serve.Public.BaseURL = ListenerURL(c.Serve.Public.Host, c.Serve.Public.Port)
	}
	if c.Serve.Admin.BaseURL == "" && c.Serve.Admin.Port != 0 {
		c.Serve.Admin.BaseURL = ListenerURL(c.Serve.Admin.Host, c.Serve.Admin.Port)
	}
	c.Log.Level = strings.ToLower(c.Log.Level)
}

// ListenerURL is the http URL a listener on host:port is reached at locally.
func ListenerURL(host string, port int) string {
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return fmt.Sprintf("http://%s/", net.JoinHostPort(host, strconv.Itoa(port)))
}

// OSEnv reads the process environment.
func OSEnv(name string) (string, bool) { return os.LookupEnv(name) }

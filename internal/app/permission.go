package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/warden-iam/warden/internal/config"
	"github.com/warden-iam/warden/internal/permission"
	"github.com/warden-iam/warden/internal/storage/sqldb"
)

// permissionConfig is the part of the permission section (Keto's keys) the
// service reads.
type permissionConfig struct {
	Namespaces json.RawMessage `json:"namespaces"`
	Limit      struct {
		MaxReadDepth      int `json:"max_read_depth"`
		MaxBatchCheckSize int `json:"max_batch_check_size"`
	} `json:"limit"`
	FeatureFlags struct {
		StrictMode bool `json:"strict_mode"`
	} `json:"feature_flags"`
	Consistency struct {
		MaxStaleness config.Duration `json:"max_staleness"`
	} `json:"consistency"`
}

// namespaceSource is where the model comes from: an OPL location, or the
// legacy list of names.
type namespaceSource struct {
	location string
	legacy   map[string]bool
	strict   bool
}

func (c permissionConfig) source() (namespaceSource, error) {
	var src namespaceSource
	raw := c.Namespaces
	if len(raw) == 0 || string(raw) == "null" {
		return src, nil
	}
	var loc string
	if json.Unmarshal(raw, &loc) == nil {
		src.location = loc
		return src, nil
	}
	var obj struct {
		Location string `json:"location"`
		Strict   bool   `json:"experimental_strict_mode"`
	}
	if err := json.Unmarshal(raw, &obj); err == nil && obj.Location != "" {
		src.location, src.strict = obj.Location, obj.Strict
		return src, nil
	}
	var list []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return src, fmt.Errorf("permission.namespaces: %w", err)
	}
	src.legacy = map[string]bool{}
	for _, n := range list {
		src.legacy[n.Name] = true
	}
	return src, nil
}

func (src namespaceSource) load() (*permission.Model, error) {
	if src.location == "" {
		return &permission.Model{Legacy: src.legacy}, nil
	}
	return permission.LoadModel(src.location)
}

// buildPermission constructs the permission service and mounts its APIs:
// the read API on both listeners, the write API on admin only.
func (a *App) buildPermission(ctx context.Context) error {
	var c permissionConfig
	if err := a.Config.Permission.Decode(&c); err != nil {
		return fmt.Errorf("permission: %w", err)
	}
	src, err := c.source()
	if err != nil {
		return err
	}
	model, err := src.load()
	if err != nil {
		return fmt.Errorf("permission.namespaces: %w", err)
	}
	svc, err := permission.NewService(ctx, a.Store.Permissions(), model, permission.Options{
		MaxReadDepth: c.Limit.MaxReadDepth,
		MaxBatchSize: c.Limit.MaxBatchCheckSize,
		Strict:       c.FeatureFlags.StrictMode || src.strict,
		SingleWriter: a.DB.Dialect() == sqldb.SQLite,
		MaxStaleness: time.Duration(c.Consistency.MaxStaleness),
		Logger:       a.Log,
	})
	if err != nil {
		return err
	}
	a.Permission = svc
	a.background = append(a.background, svc.RefreshRevision)
	h := permission.NewHandler(svc)
	h.MountRead(a.Public)
	h.MountRead(a.Admin)
	h.MountWrite(a.Admin)
	if strings.HasPrefix(src.location, "file://") || (src.location != "" && !strings.Contains(src.location, "://")) {
		a.background = append(a.background, func(ctx context.Context) { a.watchNamespaces(ctx, src) })
	}
	return nil
}

// watchNamespaces reloads the OPL file when it changes. A model with errors
// is reported and the one in force kept.
func (a *App) watchNamespaces(ctx context.Context, src namespaceSource) {
	stamp := func() string {
		path := strings.TrimPrefix(src.location, "file://")
		st, err := os.Stat(path)
		if err != nil {
			return "missing"
		}
		if st.IsDir() {
			entries, _ := os.ReadDir(path)
			var b strings.Builder
			for _, e := range entries {
				if info, err := e.Info(); err == nil {
					fmt.Fprintf(&b, "%s:%d:%d;", e.Name(), info.Size(), info.ModTime().UnixNano())
				}
			}
			return b.String()
		}
		return fmt.Sprintf("%d:%d", st.Size(), st.ModTime().UnixNano())
	}
	last := stamp()
	tick := time.NewTicker(a.reloadEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := stamp()
		if now == last {
			continue
		}
		last = now
		m, err := src.load()
		if err != nil {
			var detail string
			if errors.Unwrap(err) != nil {
				detail = err.Error()
			}
			a.Log.Error("permission model not reloaded: it has errors; the previous model stays in force",
				"location", src.location, "error", detail)
			continue
		}
		a.Permission.SetModel(m)
		a.Log.Info("permission model reloaded", "location", src.location, "namespaces", len(m.Names()))
	}
}

package workloads

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/warden-iam/warden/bench/load"
)

type tuple struct {
	Namespace string `json:"namespace"`
	Object    string `json:"object"`
	Relation  string `json:"relation"`
	SubjectID string `json:"subject_id"`
}

func writeTuple(ctx context.Context, env *load.Env, t tuple) error {
	return env.Client.Call(ctx, http.MethodPut, env.URLs.PermissionWrite+"/admin/relation-tuples", nil, t, nil)
}

func (t tuple) query() string {
	return url.Values{
		"namespace":  {t.Namespace},
		"object":     {t.Object},
		"relation":   {t.Relation},
		"subject_id": {t.SubjectID},
	}.Encode()
}

func setupC1(ctx context.Context, env *load.Env) (load.Op, error) {
	t := tuple{env.Options.Namespace, "c1-" + env.Tag, env.Options.Relation, "user-" + env.Tag}
	if err := writeTuple(ctx, env, t); err != nil {
		return nil, fmt.Errorf("writing the tuple: %w", err)
	}
	checkURL := env.URLs.PermissionRead + "/relation-tuples/check?" + t.query()
	return func(ctx context.Context, w *load.Worker) load.Result {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, checkURL, nil)
		if err != nil {
			return load.Result{Err: err}
		}
		req.Header.Set("Accept", "application/json")
		status, body, err := w.Do(req, true)
		if r := load.Expect2xx(status, body, err); r.Err != nil {
			return r
		}
		var res struct {
			Allowed bool `json:"allowed"`
		}
		if err := json.Unmarshal(body, &res); err != nil {
			return load.Result{Status: status, Err: fmt.Errorf("check response: %w", err)}
		}
		if !res.Allowed {
			return load.Result{Status: status, Err: errors.New("allowed is false")}
		}
		return load.Result{Status: status}
	}, nil
}

const batchSize = 10

func setupC4(ctx context.Context, env *load.Env) (load.Op, error) {
	var batch struct {
		Tuples []tuple `json:"tuples"`
	}
	for i := range batchSize {
		t := tuple{env.Options.Namespace, fmt.Sprintf("c4-%s-%d", env.Tag, i), env.Options.Relation, "user-" + env.Tag}
		if err := writeTuple(ctx, env, t); err != nil {
			return nil, fmt.Errorf("writing tuple %d: %w", i, err)
		}
		batch.Tuples = append(batch.Tuples, t)
	}
	payload, err := json.Marshal(batch)
	if err != nil {
		return nil, err
	}
	batchURL := env.URLs.PermissionRead + "/relation-tuples/batch/check"
	return func(ctx context.Context, w *load.Worker) load.Result {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, batchURL, bytes.NewReader(payload))
		if err != nil {
			return load.Result{Err: err}
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		status, body, err := w.Do(req, true)
		if r := load.Expect2xx(status, body, err); r.Err != nil {
			return r
		}
		var res struct {
			Results []struct {
				Allowed bool   `json:"allowed"`
				Error   string `json:"error"`
			} `json:"results"`
		}
		if err := json.Unmarshal(body, &res); err != nil {
			return load.Result{Status: status, Err: fmt.Errorf("batch check response: %w", err)}
		}
		if len(res.Results) != batchSize {
			return load.Result{Status: status, Err: fmt.Errorf("%d results for %d tuples", len(res.Results), batchSize)}
		}
		for i, r := range res.Results {
			if !r.Allowed || r.Error != "" {
				return load.Result{Status: status, Err: fmt.Errorf("tuple %d: allowed=%v error=%q", i, r.Allowed, r.Error)}
			}
		}
		return load.Result{Status: status}
	}, nil
}

func setupC5(_ context.Context, env *load.Env) (load.Op, error) {
	// The body is a fixed prefix plus a unique object name. Names and values
	// are JSON-encoded once here; the tag and counters need no escaping.
	enc := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	prefix := `{"namespace":` + enc(env.Options.Namespace) +
		`,"relation":` + enc(env.Options.Relation) +
		`,"subject_id":` + enc("user-"+env.Tag) +
		`,"object":"c5-` + env.Tag + "-"
	writeURL := env.URLs.PermissionWrite + "/admin/relation-tuples"
	return func(ctx context.Context, w *load.Worker) load.Result {
		b := make([]byte, 0, len(prefix)+40)
		b = append(b, prefix...)
		b = strconv.AppendUint(b, w.Run, 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(w.ID), 10)
		b = append(b, '-')
		b = strconv.AppendUint(b, w.Seq, 10)
		b = append(b, `"}`...)
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, writeURL, bytes.NewReader(b))
		if err != nil {
			return load.Result{Err: err}
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		status, body, err := w.Do(req, false)
		return load.Expect2xx(status, body, err)
	}, nil
}

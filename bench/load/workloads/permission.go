package workloads

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/warden-iam/warden/bench/load"
	"github.com/warden-iam/warden/bench/permission"
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

// subjectSet is N:O#R; an empty relation names the object itself (User:u1).
type subjectSet struct {
	Namespace string `json:"namespace"`
	Object    string `json:"object"`
	Relation  string `json:"relation"`
}

// setTuple is a tuple whose subject is a subject set, as in the dataset of
// bench/permission/namespaces.ts.
type setTuple struct {
	Namespace  string     `json:"namespace"`
	Object     string     `json:"object"`
	Relation   string     `json:"relation"`
	SubjectSet subjectSet `json:"subject_set"`
}

func (t setTuple) query() string {
	return url.Values{
		"namespace":             {t.Namespace},
		"object":                {t.Object},
		"relation":              {t.Relation},
		"subject_set.namespace": {t.SubjectSet.Namespace},
		"subject_set.object":    {t.SubjectSet.Object},
		"subject_set.relation":  {t.SubjectSet.Relation},
	}.Encode()
}

func user(id string) subjectSet   { return subjectSet{permission.NSUser, id, ""} }
func folder(id string) subjectSet { return subjectSet{permission.NSFolder, id, ""} }
func members(group string) subjectSet {
	return subjectSet{permission.NSGroup, group, permission.RelMembers}
}

// insertTuples writes ts through PATCH /admin/relation-tuples, at most
// permission.MaxBatch per transaction.
func insertTuples(ctx context.Context, env *load.Env, ts []setTuple) error {
	type item struct {
		Action string   `json:"action"`
		Tuple  setTuple `json:"relation_tuple"`
	}
	for part := range slices.Chunk(ts, permission.MaxBatch) {
		items := make([]item, len(part))
		for i, t := range part {
			items[i] = item{"insert", t}
		}
		if err := env.Client.Call(ctx, http.MethodPatch, env.URLs.PermissionWrite+"/admin/relation-tuples", nil, items, nil); err != nil {
			return err
		}
	}
	return nil
}

// fixtures reads --fixtures; nil when it was not given.
func fixtures(env *load.Env) (*permission.Fixtures, error) {
	if env.Options.Fixtures == "" {
		return nil, nil
	}
	return permission.ReadFixtures(env.Options.Fixtures)
}

// checkCase is one check and the answer it must get.
type checkCase struct {
	url     string
	allowed bool
}

func viewCase(env *load.Env, doc, userID string, allowed bool) checkCase {
	t := setTuple{permission.NSDocument, doc, permission.PermView, user(userID)}
	return checkCase{env.URLs.PermissionRead + "/relation-tuples/check?" + t.query(), allowed}
}

// checkOp sends the case pick chooses for each operation.
func checkOp(cases []checkCase, pick func(w *load.Worker) int) load.Op {
	return func(ctx context.Context, w *load.Worker) load.Result {
		c := cases[pick(w)]
		return doCheck(ctx, w, c.url, c.allowed)
	}
}

func pickFirst(*load.Worker) int { return 0 }

func pickRandom(n int) func(*load.Worker) int {
	return func(*load.Worker) int { return rand.IntN(n) }
}

// pickAlternate takes the cases in turn, per worker.
func pickAlternate(n int) func(*load.Worker) int {
	return func(w *load.Worker) int { return int(w.Seq % uint64(n)) }
}

// doCheck sends GET checkURL. A check that holds must be answered 200 with
// allowed true; one that does not, 403 (or 200) with allowed false.
func doCheck(ctx context.Context, w *load.Worker, checkURL string, want bool) load.Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, checkURL, nil)
	if err != nil {
		return load.Result{Err: err}
	}
	req.Header.Set("Accept", "application/json")
	status, body, err := w.Do(req, true)
	return checkAnswer(status, body, err, want)
}

func checkAnswer(status int, body []byte, err error, want bool) load.Result {
	if err != nil {
		return load.Result{Status: status, Err: err}
	}
	ok := status/100 == 2 || (status == http.StatusForbidden && !want)
	if !ok {
		return load.Expect2xx(status, body, nil)
	}
	var res struct {
		Allowed *bool `json:"allowed"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return load.Result{Status: status, Err: fmt.Errorf("check response: %w", err)}
	}
	if res.Allowed == nil {
		return load.Result{Status: status, Err: errors.New("check response has no allowed field")}
	}
	if *res.Allowed != want {
		return load.Result{Status: status, Err: fmt.Errorf("allowed is %v, want %v", *res.Allowed, want)}
	}
	return load.Result{Status: status}
}

func setupC1(ctx context.Context, env *load.Env) (load.Op, error) {
	fx, err := fixtures(env)
	if err != nil {
		return nil, err
	}
	if fx != nil {
		cases := make([]checkCase, len(fx.Owners))
		for i, p := range fx.Owners {
			t := setTuple{permission.NSDocument, p.Document, permission.RelOwners, user(p.User)}
			cases[i] = checkCase{env.URLs.PermissionRead + "/relation-tuples/check?" + t.query(), true}
		}
		env.Logf("C1: %d direct Document#owners@User pairs from %s, a random one per operation", len(cases), env.Options.Fixtures)
		return checkOp(cases, pickRandom(len(cases))), nil
	}
	t := tuple{env.Options.Namespace, "c1-" + env.Tag, env.Options.Relation, "user-" + env.Tag}
	if err := writeTuple(ctx, env, t); err != nil {
		return nil, fmt.Errorf("writing the tuple: %w", err)
	}
	checkURL := env.URLs.PermissionRead + "/relation-tuples/check?" + t.query()
	return checkOp([]checkCase{{checkURL, true}}, pickFirst), nil
}

// setupC2 checks Document#view@User where the user is in the deepest group
// of a chain of permission.ChainDepth groups and only the top group views
// the document.
func setupC2(ctx context.Context, env *load.Env) (load.Op, error) {
	fx, err := fixtures(env)
	if err != nil {
		return nil, err
	}
	var doc, userID string
	if fx != nil {
		doc, userID = fx.Chain.Document, fx.Chain.User
		env.Logf("C2: %s views %s through %d nested groups (%s)", userID, doc, fx.Chain.Depth, env.Options.Fixtures)
	} else {
		p := "c2-" + env.Tag
		doc, userID = p+"-doc", p+"-user"
		group := func(i int) string { return p + "-g" + strconv.Itoa(i) }
		ts := []setTuple{{permission.NSDocument, doc, permission.RelViewers, members(group(0))}}
		for i := range permission.ChainDepth - 1 {
			ts = append(ts, setTuple{permission.NSGroup, group(i), permission.RelMembers, members(group(i + 1))})
		}
		ts = append(ts, setTuple{permission.NSGroup, group(permission.ChainDepth - 1), permission.RelMembers, user(userID)})
		if err := insertTuples(ctx, env, ts); err != nil {
			return nil, fmt.Errorf("writing the group chain: %w", err)
		}
	}
	c := viewCase(env, doc, userID, true)
	coldProbe(ctx, env, "C2", c)
	return checkOp([]checkCase{c}, pickFirst), nil
}

// setupC3 checks Document#view@User of a document with parents parent
// folders: allowed through exactly one of them, denied through all, or both
// in turn.
func setupC3(id string, parents int, allowed, denied bool) func(context.Context, *load.Env) (load.Op, error) {
	return func(ctx context.Context, env *load.Env) (load.Op, error) {
		fx, err := fixtures(env)
		if err != nil {
			return nil, err
		}
		var wf permission.WideFixture
		if fx != nil {
			var ok bool
			if wf, ok = fx.WideWith(parents); !ok {
				return nil, fmt.Errorf("%s has no document with %d parents", env.Options.Fixtures, parents)
			}
			env.Logf("%s: %s in %d folders, allowed %s (through %s), denied %s (%s)", id, wf.Document, parents,
				wf.AllowedUser, wf.AllowedVia, wf.DeniedUser, env.Options.Fixtures)
		} else if wf, err = createWide(ctx, env, strings.ToLower(id)+"-"+env.Tag, parents); err != nil {
			return nil, fmt.Errorf("writing the %d-parent document: %w", parents, err)
		}
		var cases []checkCase
		if allowed {
			cases = append(cases, viewCase(env, wf.Document, wf.AllowedUser, true))
		}
		if denied {
			cases = append(cases, viewCase(env, wf.Document, wf.DeniedUser, false))
		}
		for _, c := range cases {
			coldProbe(ctx, env, id, c)
		}
		return checkOp(cases, pickAlternate(len(cases))), nil
	}
}

// createWide writes a small stand-in for a dataset's wide document: a root
// folder viewed by a group (with a nested group), parents folders below it,
// each with an owner and every fourth viewed by the nested group, and a
// document in all of them. One user views the last folder and nothing else;
// another user has no tuple at all.
func createWide(ctx context.Context, env *load.Env, p string, parents int) (permission.WideFixture, error) {
	wf := permission.WideFixture{Parents: parents, Document: p + "-doc", AllowedUser: p + "-allowed",
		AllowedVia: p + "-f" + strconv.Itoa(parents-1), DeniedUser: p + "-denied"}
	root, staff, team := p+"-root", p+"-staff", p+"-team"
	ts := []setTuple{
		{permission.NSFolder, root, permission.RelViewers, members(staff)},
		{permission.NSGroup, staff, permission.RelMembers, members(team)},
		{permission.NSDocument, wf.Document, permission.RelOwners, user(p + "-owner")},
	}
	for i := range 3 {
		ts = append(ts, setTuple{permission.NSGroup, staff, permission.RelMembers, user(p + "-s" + strconv.Itoa(i))},
			setTuple{permission.NSGroup, team, permission.RelMembers, user(p + "-t" + strconv.Itoa(i))})
	}
	for i := range parents {
		f := p + "-f" + strconv.Itoa(i)
		ts = append(ts,
			setTuple{permission.NSFolder, f, permission.RelParents, folder(root)},
			setTuple{permission.NSFolder, f, permission.RelOwners, user(p + "-o" + strconv.Itoa(i%10))},
			setTuple{permission.NSDocument, wf.Document, permission.RelParents, folder(f)})
		if i%4 == 0 {
			ts = append(ts, setTuple{permission.NSFolder, f, permission.RelViewers, members(team)})
		}
	}
	ts = append(ts, setTuple{permission.NSFolder, wf.AllowedVia, permission.RelViewers, user(wf.AllowedUser)})
	return wf, insertTuples(ctx, env, ts)
}

// coldSamples is how many uncached checks coldProbe times.
const coldSamples = 5

// probeSeq numbers coldProbe's throwaway tuples.
var probeSeq atomic.Uint64

// coldProbe logs how long c takes when the server cannot have cached its
// answer: before each of a few timed checks it writes one throwaway tuple
// (namespace --namespace, relation --relation) and checks at that write's
// snaptoken, so the check reads a revision no earlier check has seen. The
// figures go to the log only; a failure only skips the note.
func coldProbe(ctx context.Context, env *load.Env, id string, c checkCase) {
	var lat []time.Duration
	for range coldSamples {
		t := tuple{env.Options.Namespace, fmt.Sprintf("probe-%s-%s-%d", strings.ToLower(id), env.Tag, probeSeq.Add(1)), env.Options.Relation, "probe"}
		tok, err := putSnaptoken(ctx, env, t)
		if err != nil {
			env.Logf("%s: no uncached-check figure: %v", id, err)
			return
		}
		u := c.url
		if tok != "" {
			u += "&snaptoken=" + url.QueryEscape(tok)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return
		}
		req.Header.Set("Accept", "application/json")
		t0 := time.Now()
		resp, err := env.Client.HTTP.Do(req)
		if err != nil {
			env.Logf("%s: no uncached-check figure: %v", id, err)
			return
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		if r := checkAnswer(resp.StatusCode, body, err, c.allowed); r.Err != nil {
			env.Logf("%s: uncached check (allowed=%v) failed: HTTP %d: %v", id, c.allowed, resp.StatusCode, r.Err)
			return
		}
		lat = append(lat, d)
	}
	slices.Sort(lat)
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) }
	env.Logf("%s: uncached check (allowed=%v), %d samples each right after a write: min %s ms, median %s ms, max %s ms",
		id, c.allowed, len(lat), ms(lat[0]), ms(lat[len(lat)/2]), ms(lat[len(lat)-1]))
}

// putSnaptoken writes t and returns the answer's X-Snaptoken ("" if none).
func putSnaptoken(ctx context.Context, env *load.Env, t tuple) (string, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	u := env.URLs.PermissionWrite + "/admin/relation-tuples"
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := env.Client.HTTP.Do(req)
	if err != nil {
		return "", fmt.Errorf("PUT %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("PUT %s: HTTP %d: %s", u, resp.StatusCode, strings.Join(strings.Fields(string(body)), " "))
	}
	return resp.Header.Get(snaptokenHeader), nil
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

// snaptokenHeader carries the revision a write produced.
const snaptokenHeader = "X-Snaptoken"

// setupC5 writes one new tuple per operation. Every --c5-check-every-th
// write of a worker is followed, in the same operation, by a check of that
// tuple carrying the write's snaptoken; it must be allowed, so a missing
// snaptoken or a check that does not see the write counts as an error.
func setupC5(_ context.Context, env *load.Env) (load.Op, error) {
	// The body is a fixed prefix plus a unique object name. Names and values
	// are JSON-encoded once here; the tag and counters need no escaping.
	enc := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	prefix := `{"namespace":` + enc(env.Options.Namespace) +
		`,"relation":` + enc(env.Options.Relation) +
		`,"subject_id":` + enc("user-"+env.Tag) +
		`,"object":"`
	writeURL := env.URLs.PermissionWrite + "/admin/relation-tuples"
	every := uint64(env.Options.C5CheckEvery)
	checkBase := env.URLs.PermissionRead + "/relation-tuples/check?" + url.Values{
		"namespace":  {env.Options.Namespace},
		"relation":   {env.Options.Relation},
		"subject_id": {"user-" + env.Tag},
	}.Encode()
	return func(ctx context.Context, w *load.Worker) load.Result {
		obj := make([]byte, 0, 48)
		obj = append(obj, "c5-"+env.Tag+"-"...)
		obj = strconv.AppendUint(obj, w.Run, 10)
		obj = append(obj, '-')
		obj = strconv.AppendInt(obj, int64(w.ID), 10)
		obj = append(obj, '-')
		obj = strconv.AppendUint(obj, w.Seq, 10)
		b := make([]byte, 0, len(prefix)+len(obj)+2)
		b = append(b, prefix...)
		b = append(b, obj...)
		b = append(b, `"}`...)
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, writeURL, bytes.NewReader(b))
		if err != nil {
			return load.Result{Err: err}
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		status, header, body, err := w.DoHeader(req, false)
		r := load.Expect2xx(status, body, err)
		if r.Err != nil || every == 0 || (w.Seq+1)%every != 0 {
			return r
		}
		tok := header.Get(snaptokenHeader)
		if tok == "" {
			return load.Result{Status: status, Err: errors.New("read-your-writes: the write's answer has no " + snaptokenHeader + " header")}
		}
		u := checkBase + "&object=" + url.QueryEscape(string(obj)) + "&snaptoken=" + url.QueryEscape(tok)
		if r := doCheck(ctx, w, u, true); r.Err != nil {
			r.Err = fmt.Errorf("read-your-writes: check of %s at the write's snaptoken: %w", obj, r.Err)
			return r
		}
		return r
	}, nil
}

package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/warden-iam/warden/internal/permission"
	"github.com/warden-iam/warden/internal/permission/check"
	"github.com/warden-iam/warden/internal/permission/tuple"
	"github.com/warden-iam/warden/internal/storage"
	"github.com/warden-iam/warden/internal/storage/sqldb"
)

// Permissions is the permission service's store.
type Permissions struct{ db *sqldb.DB }

// Permissions returns the relation tuple store.
func (s *Store) Permissions() *Permissions { return &Permissions{db: s.DB} }

var _ permission.Store = (*Permissions)(nil)

// subjectCols are subject_id, set_namespace, set_object, set_relation.
func subjectCols(s tuple.Subject) (string, string, string, string) {
	if s.Set != nil {
		return "", s.Set.Namespace, s.Set.Object, s.Set.Relation
	}
	return s.ID, "", "", ""
}

func makeSubject(id, ns, obj, rel string) tuple.Subject {
	if ns != "" {
		return tuple.Subject{Set: &tuple.SubjectSet{Namespace: ns, Object: obj, Relation: rel}}
	}
	return tuple.Subject{ID: id}
}

// inList returns the SQL for "column is one of values" with its argument:
// PostgreSQL takes an array, SQLite a JSON array unpacked by json_each, so the
// statement text is the same whatever the count.
func (p *Permissions) inList(column string, values []string) (string, any) {
	if p.db.Dialect() == sqldb.Postgres {
		return column + " = ANY(?)", values
	}
	b, _ := json.Marshal(values)
	return column + " IN (SELECT value FROM json_each(?))", string(b)
}

const chunk = 1000

func chunks(objs []string, fn func([]string) error) error {
	for len(objs) > 0 {
		n := min(len(objs), chunk)
		if err := fn(objs[:n]); err != nil {
			return err
		}
		objs = objs[n:]
	}
	return nil
}

// DirectMembers implements check.Reader.
func (p *Permissions) DirectMembers(ctx context.Context, ns, rel string, objects []string, s tuple.Subject) ([]string, error) {
	id, sns, sobj, srel := subjectCols(s)
	if len(objects) == 1 {
		var o string
		err := p.db.QueryRow(ctx, `SELECT object FROM permission_tuples WHERE namespace = ? AND object = ? AND relation = ?
			AND subject_id = ? AND set_namespace = ? AND set_object = ? AND set_relation = ?`,
			ns, objects[0], rel, id, sns, sobj, srel).Scan(&o)
		if err != nil {
			if isNoRows(err) {
				return nil, nil
			}
			return nil, fmt.Errorf("direct members: %w", err)
		}
		return []string{o}, nil
	}
	var out []string
	err := chunks(objects, func(part []string) error {
		cond, arg := p.inList("object", part)
		rows, err := p.db.Query(ctx, `SELECT object FROM permission_tuples WHERE namespace = ? AND relation = ? AND `+cond+`
			AND subject_id = ? AND set_namespace = ? AND set_object = ? AND set_relation = ?`, ns, rel, arg, id, sns, sobj, srel)
		if err != nil {
			return fmt.Errorf("direct members: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var o string
			if err := rows.Scan(&o); err != nil {
				return err
			}
			out = append(out, o)
		}
		return rows.Err()
	})
	return out, err
}

// SubjectSets implements check.Reader: nested subject sets only, read from
// the partial index permission_tuples_nested.
func (p *Permissions) SubjectSets(ctx context.Context, ns, rel string, objects []string) ([]check.Edge, error) {
	return p.edges(ctx, ns, rel, objects, "set_relation <> ''")
}

// Targets implements check.Reader: every subject set, with or without a
// relation.
func (p *Permissions) Targets(ctx context.Context, ns, rel string, objects []string) ([]check.Edge, error) {
	return p.edges(ctx, ns, rel, objects, "subject_id = '' AND set_namespace <> ''")
}

func (p *Permissions) edges(ctx context.Context, ns, rel string, objects []string, filter string) ([]check.Edge, error) {
	var out []check.Edge
	err := chunks(objects, func(part []string) error {
		var (
			rows *sqldb.Rows
			err  error
		)
		if len(part) == 1 {
			rows, err = p.db.Query(ctx, `SELECT object, set_namespace, set_object, set_relation FROM permission_tuples
				WHERE namespace = ? AND relation = ? AND object = ? AND `+filter, ns, rel, part[0])
		} else {
			cond, arg := p.inList("object", part)
			rows, err = p.db.Query(ctx, `SELECT object, set_namespace, set_object, set_relation FROM permission_tuples
				WHERE namespace = ? AND relation = ? AND `+cond+` AND `+filter, ns, rel, arg)
		}
		if err != nil {
			return fmt.Errorf("subject sets: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var e check.Edge
			if err := rows.Scan(&e.Object, &e.Set.Namespace, &e.Set.Object, &e.Set.Relation); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	return out, err
}

// Containing implements check.Reader.
func (p *Permissions) Containing(ctx context.Context, subjects []tuple.Subject) ([]tuple.SubjectSet, error) {
	var out []tuple.SubjectSet
	const perQuery = 300
	for start := 0; start < len(subjects); start += perQuery {
		part := subjects[start:min(start+perQuery, len(subjects))]
		cond, args := subjectIn(part)
		rows, err := p.db.Query(ctx, `SELECT namespace, object, relation FROM permission_tuples WHERE `+cond, args...)
		if err != nil {
			return nil, fmt.Errorf("containing: %w", err)
		}
		for rows.Next() {
			var h tuple.SubjectSet
			if err := rows.Scan(&h.Namespace, &h.Object, &h.Relation); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, h)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// subjectIn is the condition "the tuple's subject is one of subjects" (a
// row-value IN list, served by permission_tuples_by_subject) and its args.
func subjectIn(subjects []tuple.Subject) (string, []any) {
	var b strings.Builder
	b.WriteString("(subject_id, set_namespace, set_object, set_relation) IN (VALUES ")
	args := make([]any, 0, 4*len(subjects)+3)
	for i, s := range subjects {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?)")
		id, sns, sobj, srel := subjectCols(s)
		args = append(args, id, sns, sobj, srel)
	}
	b.WriteString(")")
	return b.String(), args
}

// Holding implements check.Reader, through permission_tuples_by_subject.
func (p *Permissions) Holding(ctx context.Context, ns, rel string, subjects []tuple.Subject, limit int) ([]string, error) {
	var out []string
	const perQuery = 300
	for start := 0; start < len(subjects) && len(out) < limit; start += perQuery {
		part := subjects[start:min(start+perQuery, len(subjects))]
		cond, args := subjectIn(part)
		args = append(args, ns, rel, limit-len(out))
		rows, err := p.db.Query(ctx, `SELECT object FROM permission_tuples WHERE `+cond+`
			AND namespace = ? AND relation = ? LIMIT ?`, args...)
		if err != nil {
			return nil, fmt.Errorf("holding: %w", err)
		}
		for rows.Next() {
			var o string
			if err := rows.Scan(&o); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, o)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Summary implements check.Reader.
func (p *Permissions) Summary(ctx context.Context) (check.Summary, error) {
	var out check.Summary
	rows, err := p.db.Query(ctx, `SELECT set_namespace, set_relation FROM permission_nested_targets`)
	if err != nil {
		return out, fmt.Errorf("permission summary: %w", err)
	}
	for rows.Next() {
		var t tuple.SubjectSet
		if err := rows.Scan(&t.Namespace, &t.Relation); err != nil {
			rows.Close()
			return out, err
		}
		out.Targets = append(out.Targets, t)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return out, err
	}
	rows, err = p.db.Query(ctx, `SELECT namespace, relation, nested FROM permission_relations`)
	if err != nil {
		return out, fmt.Errorf("permission summary: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t tuple.SubjectSet
		var nested bool
		if err := rows.Scan(&t.Namespace, &t.Relation, &nested); err != nil {
			return out, err
		}
		if nested {
			out.Nested = append(out.Nested, t)
		}
		out.Used = append(out.Used, t)
	}
	return out, rows.Err()
}

func isNoRows(err error) bool {
	return errors.Is(err, storage.ErrNotFound) || errors.Is(err, sql.ErrNoRows)
}

func bumpRevision(ctx context.Context, tx *sqldb.Tx) (uint64, error) {
	var rev int64
	if err := tx.QueryRow(ctx, `UPDATE permission_revision SET revision = revision + 1 WHERE id = 1 RETURNING revision`).Scan(&rev); err != nil {
		return 0, fmt.Errorf("bump revision: %w", err)
	}
	return uint64(rev), nil
}

// change is one effective write, logged once the revision is known.
type change struct {
	action string
	t      tuple.Tuple
}

// writeTx runs a permission write. On PostgreSQL it is READ COMMITTED: the
// tuple statements are idempotent, and the revision row, bumped last, is the
// only point where writers queue (its row lock orders commits, so revisions
// follow commit order) instead of failing each other as serializable
// transactions on one hot row would.
func (p *Permissions) writeTx(ctx context.Context, fn func(tx *sqldb.Tx) error) error {
	return p.db.TxWith(ctx, sqldb.TxOptions{Isolation: sql.LevelReadCommitted}, fn)
}

// WriteTuples implements permission.Store.
func (p *Permissions) WriteTuples(ctx context.Context, insert, delete []tuple.Tuple) (uint64, error) {
	// One order for every writer, so concurrent transactions touching the
	// same tuples cannot deadlock.
	insert, delete = sortedTuples(insert), sortedTuples(delete)
	var rev uint64
	err := p.writeTx(ctx, func(tx *sqldb.Tx) error {
		var changes []change
		for _, t := range delete {
			id, sns, sobj, srel := subjectCols(t.Subject)
			res, err := tx.Exec(ctx, `DELETE FROM permission_tuples WHERE namespace = ? AND object = ? AND relation = ?
				AND subject_id = ? AND set_namespace = ? AND set_object = ? AND set_relation = ?`,
				t.Namespace, t.Object, t.Relation, id, sns, sobj, srel)
			if err != nil {
				return fmt.Errorf("delete %s: %w", t, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				changes = append(changes, change{"delete", t})
			}
		}
		for _, t := range insert {
			id, sns, sobj, srel := subjectCols(t.Subject)
			res, err := tx.Exec(ctx, `INSERT INTO permission_tuples (namespace, object, relation, subject_id, set_namespace,
				set_object, set_relation) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				t.Namespace, t.Object, t.Relation, id, sns, sobj, srel)
			if err != nil {
				return fmt.Errorf("insert %s: %w", t, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				changes = append(changes, change{"insert", t})
			}
		}
		if err := noteSummary(ctx, tx, insert); err != nil {
			return err
		}
		var err error
		if rev, err = bumpRevision(ctx, tx); err != nil {
			return err
		}
		return logChanges(ctx, tx, rev, changes)
	})
	return rev, err
}

// noteSummary records, for the inserted tuples, the relations that hold
// tuples and nested subject sets, and the nested sets' own relations (see
// permission_relations and permission_nested_targets).
func noteSummary(ctx context.Context, tx *sqldb.Tx, insert []tuple.Tuple) error {
	type rel struct {
		ns, rel string
		nested  bool
	}
	used := map[rel]bool{}
	targets := map[[2]string]bool{}
	for _, t := range insert {
		nested := t.Subject.Set != nil && t.Subject.Set.Relation != ""
		used[rel{t.Namespace, t.Relation, nested}] = true
		if nested {
			targets[[2]string{t.Subject.Set.Namespace, t.Subject.Set.Relation}] = true
		}
	}
	for r := range used {
		if _, err := tx.Exec(ctx, `INSERT INTO permission_relations (namespace, relation, nested) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, r.ns, r.rel, r.nested); err != nil {
			return fmt.Errorf("permission summary: %w", err)
		}
	}
	for t := range targets {
		if _, err := tx.Exec(ctx, `INSERT INTO permission_nested_targets (set_namespace, set_relation) VALUES (?, ?)
			ON CONFLICT DO NOTHING`, t[0], t[1]); err != nil {
			return fmt.Errorf("permission summary: %w", err)
		}
	}
	return nil
}

// logChanges writes the change log rows of one revision, many per statement.
func logChanges(ctx context.Context, tx *sqldb.Tx, rev uint64, changes []change) error {
	const perStatement = 100
	now := sqldb.Now()
	for start := 0; start < len(changes); start += perStatement {
		part := changes[start:min(start+perStatement, len(changes))]
		var b strings.Builder
		b.WriteString(`INSERT INTO permission_changes (revision, seq, action, namespace, object, relation,
			subject_id, set_namespace, set_object, set_relation, created_at) VALUES `)
		args := make([]any, 0, len(part)*11)
		for i, c := range part {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			id, sns, sobj, srel := subjectCols(c.t.Subject)
			args = append(args, int64(rev), start+i+1, c.action, c.t.Namespace, c.t.Object, c.t.Relation, id, sns, sobj, srel, now)
		}
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("log changes: %w", err)
		}
	}
	return nil
}

func sortedTuples(ts []tuple.Tuple) []tuple.Tuple {
	if len(ts) < 2 {
		return ts
	}
	out := append([]tuple.Tuple(nil), ts...)
	key := func(t tuple.Tuple) string {
		id, sns, sobj, srel := subjectCols(t.Subject)
		return strings.Join([]string{t.Namespace, t.Object, t.Relation, id, sns, sobj, srel}, "\x00")
	}
	sort.Slice(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}

// where builds the filter of a query.
func where(q tuple.Query) (string, []any) {
	var conds []string
	var args []any
	add := func(col, v string) {
		conds = append(conds, col+" = ?")
		args = append(args, v)
	}
	if q.Namespace != "" {
		add("namespace", q.Namespace)
	}
	if q.Object != "" {
		add("object", q.Object)
	}
	if q.Relation != "" {
		add("relation", q.Relation)
	}
	if q.Subject != nil {
		id, sns, sobj, srel := subjectCols(*q.Subject)
		add("subject_id", id)
		add("set_namespace", sns)
		add("set_object", sobj)
		add("set_relation", srel)
	}
	if len(conds) == 0 {
		return "1 = 1", nil
	}
	return strings.Join(conds, " AND "), args
}

// DeleteTuples implements permission.Store.
func (p *Permissions) DeleteTuples(ctx context.Context, q tuple.Query) (uint64, error) {
	var rev uint64
	err := p.writeTx(ctx, func(tx *sqldb.Tx) error {
		cond, args := where(q)
		rows, err := tx.Query(ctx, `DELETE FROM permission_tuples WHERE `+cond+`
			RETURNING namespace, object, relation, subject_id, set_namespace, set_object, set_relation`, args...)
		if err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		var changes []change
		for rows.Next() {
			var t tuple.Tuple
			var id, sns, sobj, srel string
			if err := rows.Scan(&t.Namespace, &t.Object, &t.Relation, &id, &sns, &sobj, &srel); err != nil {
				rows.Close()
				return err
			}
			t.Subject = makeSubject(id, sns, sobj, srel)
			changes = append(changes, change{"delete", t})
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return err
		}
		rows.Close()
		if rev, err = bumpRevision(ctx, tx); err != nil {
			return err
		}
		return logChanges(ctx, tx, rev, changes)
	})
	return rev, err
}

// ListTuples implements permission.Store.
func (p *Permissions) ListTuples(ctx context.Context, q tuple.Query, after *tuple.Tuple, limit int) ([]tuple.Tuple, error) {
	cond, args := where(q)
	if after != nil {
		id, sns, sobj, srel := subjectCols(after.Subject)
		cond += ` AND (namespace, object, relation, subject_id, set_namespace, set_object, set_relation) > (?, ?, ?, ?, ?, ?, ?)`
		args = append(args, after.Namespace, after.Object, after.Relation, id, sns, sobj, srel)
	}
	args = append(args, limit)
	rows, err := p.db.Query(ctx, `SELECT namespace, object, relation, subject_id, set_namespace, set_object, set_relation
		FROM permission_tuples WHERE `+cond+`
		ORDER BY namespace, object, relation, subject_id, set_namespace, set_object, set_relation LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list relation tuples: %w", err)
	}
	defer rows.Close()
	out := []tuple.Tuple{}
	for rows.Next() {
		var t tuple.Tuple
		var id, sns, sobj, srel string
		if err := rows.Scan(&t.Namespace, &t.Object, &t.Relation, &id, &sns, &sobj, &srel); err != nil {
			return nil, err
		}
		t.Subject = makeSubject(id, sns, sobj, srel)
		out = append(out, t)
	}
	return out, rows.Err()
}

// Revision implements permission.Store.
func (p *Permissions) Revision(ctx context.Context) (uint64, error) {
	var rev int64
	if err := p.db.QueryRow(ctx, `SELECT revision FROM permission_revision WHERE id = 1`).Scan(&rev); err != nil {
		return 0, fmt.Errorf("permission revision: %w", err)
	}
	return uint64(rev), nil
}

// Changes implements permission.Store.
func (p *Permissions) Changes(ctx context.Context, afterRev uint64, afterSeq int, limit int) ([]permission.Change, error) {
	rows, err := p.db.Query(ctx, `SELECT revision, seq, action, namespace, object, relation, subject_id, set_namespace, set_object,
		set_relation, created_at FROM permission_changes WHERE revision > ? OR (revision = ? AND seq > ?)
		ORDER BY revision, seq LIMIT ?`, int64(afterRev), int64(afterRev), afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("permission changes: %w", err)
	}
	defer rows.Close()
	out := []permission.Change{}
	for rows.Next() {
		var c permission.Change
		var rev int64
		var id, sns, sobj, srel string
		var at sqldb.Time
		if err := rows.Scan(&rev, &c.Seq, &c.Action, &c.Tuple.Namespace, &c.Tuple.Object, &c.Tuple.Relation, &id, &sns, &sobj, &srel, &at); err != nil {
			return nil, err
		}
		c.Revision = uint64(rev)
		c.Tuple.Subject = makeSubject(id, sns, sobj, srel)
		c.At = at.Time
		out = append(out, c)
	}
	return out, rows.Err()
}

// Holders implements permission.Store.
func (p *Permissions) Holders(ctx context.Context, s tuple.Subject, anyRelation bool, limit int) ([]tuple.SubjectSet, error) {
	var (
		rows *sqldb.Rows
		err  error
	)
	id, sns, sobj, srel := subjectCols(s)
	if anyRelation && s.Set != nil {
		rows, err = p.db.Query(ctx, `SELECT namespace, object, relation FROM permission_tuples
			WHERE subject_id = '' AND set_namespace = ? AND set_object = ? LIMIT ?`, sns, sobj, limit)
	} else {
		rows, err = p.db.Query(ctx, `SELECT namespace, object, relation FROM permission_tuples
			WHERE subject_id = ? AND set_namespace = ? AND set_object = ? AND set_relation = ? LIMIT ?`, id, sns, sobj, srel, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("holders: %w", err)
	}
	defer rows.Close()
	var out []tuple.SubjectSet
	for rows.Next() {
		var h tuple.SubjectSet
		if err := rows.Scan(&h.Namespace, &h.Object, &h.Relation); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

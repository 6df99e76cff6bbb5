package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
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

// SubjectSets implements check.Reader.
func (p *Permissions) SubjectSets(ctx context.Context, ns, rel string, objects []string) ([]check.Edge, error) {
	var out []check.Edge
	err := chunks(objects, func(part []string) error {
		var (
			rows *sqldb.Rows
			err  error
		)
		if len(part) == 1 {
			rows, err = p.db.Query(ctx, `SELECT object, set_namespace, set_object, set_relation FROM permission_tuples
				WHERE namespace = ? AND object = ? AND relation = ? AND subject_id = '' AND set_namespace <> ''`, ns, part[0], rel)
		} else {
			cond, arg := p.inList("object", part)
			rows, err = p.db.Query(ctx, `SELECT object, set_namespace, set_object, set_relation FROM permission_tuples
				WHERE namespace = ? AND `+cond+` AND relation = ? AND subject_id = '' AND set_namespace <> ''`, ns, arg, rel)
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

// WriteTuples implements permission.Store.
func (p *Permissions) WriteTuples(ctx context.Context, insert, delete []tuple.Tuple) (uint64, error) {
	var rev uint64
	err := p.db.Tx(ctx, func(tx *sqldb.Tx) error {
		var err error
		if rev, err = bumpRevision(ctx, tx); err != nil {
			return err
		}
		now := sqldb.Now()
		seq := 0
		logChange := func(action string, t tuple.Tuple) error {
			id, sns, sobj, srel := subjectCols(t.Subject)
			seq++
			_, err := tx.Exec(ctx, `INSERT INTO permission_changes (revision, seq, action, namespace, object, relation,
				subject_id, set_namespace, set_object, set_relation, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				int64(rev), seq, action, t.Namespace, t.Object, t.Relation, id, sns, sobj, srel, now)
			return err
		}
		for _, t := range delete {
			id, sns, sobj, srel := subjectCols(t.Subject)
			res, err := tx.Exec(ctx, `DELETE FROM permission_tuples WHERE namespace = ? AND object = ? AND relation = ?
				AND subject_id = ? AND set_namespace = ? AND set_object = ? AND set_relation = ?`,
				t.Namespace, t.Object, t.Relation, id, sns, sobj, srel)
			if err != nil {
				return fmt.Errorf("delete %s: %w", t, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				if err := logChange("delete", t); err != nil {
					return err
				}
			}
		}
		for _, t := range insert {
			id, sns, sobj, srel := subjectCols(t.Subject)
			res, err := tx.Exec(ctx, `INSERT INTO permission_tuples (namespace, object, relation, subject_id, set_namespace,
				set_object, set_relation, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
				t.Namespace, t.Object, t.Relation, id, sns, sobj, srel, int64(rev))
			if err != nil {
				return fmt.Errorf("insert %s: %w", t, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				if err := logChange("insert", t); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return rev, err
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
	err := p.db.Tx(ctx, func(tx *sqldb.Tx) error {
		var err error
		if rev, err = bumpRevision(ctx, tx); err != nil {
			return err
		}
		cond, args := where(q)
		logArgs := append([]any{int64(rev), sqldb.Now()}, args...)
		if _, err := tx.Exec(ctx, `INSERT INTO permission_changes (revision, seq, action, namespace, object, relation,
			subject_id, set_namespace, set_object, set_relation, created_at)
			SELECT ?, ROW_NUMBER() OVER (ORDER BY namespace, object, relation, subject_id, set_namespace, set_object, set_relation),
				'delete', namespace, object, relation, subject_id, set_namespace, set_object, set_relation, ?
			FROM permission_tuples WHERE `+cond, logArgs...); err != nil {
			return fmt.Errorf("log deletes: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM permission_tuples WHERE `+cond, args...); err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		return nil
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
func (p *Permissions) Changes(ctx context.Context, after uint64, limit int) ([]permission.Change, error) {
	rows, err := p.db.Query(ctx, `SELECT revision, action, namespace, object, relation, subject_id, set_namespace, set_object,
		set_relation, created_at FROM permission_changes WHERE revision > ? ORDER BY revision, seq LIMIT ?`, int64(after), limit)
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
		if err := rows.Scan(&rev, &c.Action, &c.Tuple.Namespace, &c.Tuple.Object, &c.Tuple.Relation, &id, &sns, &sobj, &srel, &at); err != nil {
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

-- Relation tuples of the permission service.
--
-- A subject is either subject_id (set_* empty) or a subject set (subject_id
-- empty, set_namespace and set_object given, set_relation possibly empty for
-- "the object itself"). Empty strings instead of NULLs keep the primary key
-- usable for both kinds. The primary key leads with (namespace, object,
-- relation) for checks and expansion; permission_tuples_by_subject serves
-- reverse look-ups (what can this subject reach). Revisions live in the change
-- log, not on the tuples.
CREATE TABLE permission_tuples (
    namespace     TEXT   NOT NULL,
    object        TEXT   NOT NULL,
    relation      TEXT   NOT NULL,
    subject_id    TEXT   NOT NULL DEFAULT '',
    set_namespace TEXT   NOT NULL DEFAULT '',
    set_object    TEXT   NOT NULL DEFAULT '',
    set_relation  TEXT   NOT NULL DEFAULT '',
    PRIMARY KEY (namespace, object, relation, subject_id, set_namespace, set_object, set_relation)
);
CREATE INDEX permission_tuples_by_subject
    ON permission_tuples (subject_id, set_namespace, set_object, set_relation, namespace, relation, object);
-- Nested subject sets only (Group:eng#members as a member of another set):
-- following them reads the nesting edges, never the plain members, however
-- many a group has.
CREATE INDEX permission_tuples_nested
    ON permission_tuples (namespace, relation, object, set_namespace, set_object, set_relation)
    WHERE set_relation <> '';

-- Every (namespace, relation) that some stored tuple uses as a nested
-- subject set (Group ... members in Doc:d#viewers@Group:eng#members). Rows are
-- added by writes and never removed, so it is a superset. The check engine
-- reads it to know whether membership can be answered from a subject's
-- reverse closure (no nested set leads through a computed permit).
CREATE TABLE permission_nested_targets (
    set_namespace TEXT NOT NULL,
    set_relation  TEXT NOT NULL,
    PRIMARY KEY (set_namespace, set_relation)
);

-- Every (namespace, relation) that has ever held a tuple, and whether one of
-- them had a nested subject set (nested = true). Also a superset kept by
-- writes: the engine skips look-ups for relations that never held anything
-- (a computed permit, typically), which is most of the queries of a wide
-- traversal.
CREATE TABLE permission_relations (
    namespace TEXT    NOT NULL,
    relation  TEXT    NOT NULL,
    nested    BOOLEAN NOT NULL,
    PRIMARY KEY (namespace, relation, nested)
);

-- The revision counter: one row, bumped by every write transaction. Its value
-- is what snaptokens carry.
CREATE TABLE permission_revision (
    id       INTEGER PRIMARY KEY,
    revision BIGINT  NOT NULL
);
INSERT INTO permission_revision (id, revision) VALUES (1, 0);

-- The change log: every insert and delete with the revision that made it,
-- for the changes feed (watch) and for cache invalidation.
CREATE TABLE permission_changes (
    revision      BIGINT      NOT NULL,
    seq           INTEGER     NOT NULL,
    action        TEXT        NOT NULL,
    namespace     TEXT        NOT NULL,
    object        TEXT        NOT NULL,
    relation      TEXT        NOT NULL,
    subject_id    TEXT        NOT NULL,
    set_namespace TEXT        NOT NULL,
    set_object    TEXT        NOT NULL,
    set_relation  TEXT        NOT NULL,
    created_at    TIMESTAMP   NOT NULL,
    PRIMARY KEY (revision, seq)
);

-- Tables the server itself needs, before any domain's.
--
-- system_secrets persists secrets the server generates for itself when the
-- configuration gives none (cookie, cipher and signing secrets), so every
-- replica and every restart uses the same ones. kind names the secret,
-- position orders the secrets of one kind (rotation keeps several; the
-- first is the one in use).
-- Timestamps are TEXT in UTC, written by the application (see sqldb).
CREATE TABLE system_secrets (
    kind       TEXT      NOT NULL,
    position   INTEGER   NOT NULL,
    value      TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, position)
);

-- Sessions of signed-in identities.
--
-- token_hash is the SHA-256 of the session's secret, never the secret.
-- via says how the secret travels: 'cookie' for sessions a browser holds in
-- the session cookie, 'token' for sessions native apps send as a session
-- token; a session answers only through its own carrier. methods and
-- devices are JSON (how the identity authenticated, and from where).
CREATE TABLE sessions (
    id               TEXT      NOT NULL PRIMARY KEY,
    token_hash       TEXT      NOT NULL,
    via              TEXT      NOT NULL,
    identity_id      TEXT      NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    active           BOOLEAN   NOT NULL,
    aal              TEXT      NOT NULL,
    authenticated_at TIMESTAMP NOT NULL,
    issued_at        TIMESTAMP NOT NULL,
    expires_at       TIMESTAMP NOT NULL,
    methods          TEXT      NOT NULL,
    devices          TEXT      NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);

CREATE UNIQUE INDEX sessions_token_idx ON sessions (token_hash);
CREATE INDEX sessions_identity_idx ON sessions (identity_id, created_at);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

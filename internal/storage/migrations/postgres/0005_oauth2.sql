-- OAuth2 and OpenID Connect: authorization flows, login sessions and tokens.
--
-- oauth2_flows holds one authorization request from /oauth2/auth (or one
-- device authorization, or one logout) while the login and consent apps
-- handle it, and afterwards the consent it ended with. Challenges and
-- verifiers are not stored: they are MACs over the flow id under the system
-- secret, checked before the row is read. state advances only by a
-- conditional UPDATE, so a challenge is handled at most once. flow_data is
-- the flow's JSON, encrypted under secrets.cipher. remember_until is set on
-- a consent the user asked to remember; expires_at is when the row may be
-- removed (the challenge's end while pending, the end of the grant once done).
CREATE TABLE oauth2_flows (
    id               TEXT      NOT NULL PRIMARY KEY,
    kind             SMALLINT  NOT NULL,
    state            SMALLINT  NOT NULL,
    client_id        TEXT      NOT NULL,
    subject          TEXT      NOT NULL,
    login_session_id TEXT      NOT NULL,
    remember_until   TIMESTAMPTZ,
    flow_data        TEXT      NOT NULL,
    requested_at     TIMESTAMPTZ NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL
);

CREATE INDEX oauth2_flows_subject_idx ON oauth2_flows (subject, client_id, requested_at);
CREATE INDEX oauth2_flows_login_session_idx ON oauth2_flows (login_session_id);
CREATE INDEX oauth2_flows_expiry_idx ON oauth2_flows (expires_at);

-- A remembered authentication ("ory_hydra_session" cookie): who signed in
-- when, so later authorization requests can skip the login app.
CREATE TABLE oauth2_login_sessions (
    id                           TEXT      NOT NULL PRIMARY KEY,
    subject                      TEXT      NOT NULL,
    authenticated_at             TIMESTAMPTZ NOT NULL,
    remember                     BOOLEAN   NOT NULL,
    identity_provider_session_id TEXT      NOT NULL,
    expires_at                   TIMESTAMPTZ NOT NULL
);

CREATE INDEX oauth2_login_sessions_subject_idx ON oauth2_login_sessions (subject);
CREATE INDEX oauth2_login_sessions_expiry_idx ON oauth2_login_sessions (expires_at);

-- Issued authorization codes, access and refresh tokens, device and user
-- codes, and seen assertion ids. signature is a SHA-256 of the token's
-- signature part: the token itself is never stored. request_id ties the
-- tokens of one grant together (rotation, reuse detection and revocation
-- act on it). active turns false when a code or refresh token is used
-- (used_at) or a token is revoked; token_data is the grant's JSON,
-- encrypted under secrets.cipher.
CREATE TABLE oauth2_tokens (
    signature    TEXT      NOT NULL PRIMARY KEY,
    kind         SMALLINT  NOT NULL,
    request_id   TEXT      NOT NULL,
    client_id    TEXT      NOT NULL,
    subject      TEXT      NOT NULL,
    active       BOOLEAN   NOT NULL,
    used_at      TIMESTAMPTZ,
    token_data   TEXT      NOT NULL,
    requested_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);

CREATE INDEX oauth2_tokens_request_idx ON oauth2_tokens (request_id);
CREATE INDEX oauth2_tokens_client_idx ON oauth2_tokens (client_id);
CREATE INDEX oauth2_tokens_expiry_idx ON oauth2_tokens (expires_at);

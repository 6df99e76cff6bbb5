-- Identities (who users are) and their credentials (how they sign in).
--
-- identities holds one row per identity: its traits (JSON, validated
-- against the identity schema schema_id), public and admin metadata, and
-- in addresses the JSON of its verifiable and recovery addresses, so an
-- identity is read with a single query. external_id is an optional id from
-- another system, unique when set.
CREATE TABLE identities (
    id               TEXT      NOT NULL PRIMARY KEY,
    schema_id        TEXT      NOT NULL,
    state            TEXT      NOT NULL,
    state_changed_at TIMESTAMP,
    traits           TEXT      NOT NULL,
    metadata_public  TEXT,
    metadata_admin   TEXT,
    external_id      TEXT,
    organization_id  TEXT,
    addresses        TEXT      NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);

CREATE UNIQUE INDEX identities_external_id_idx ON identities (external_id);

-- One credential of each type per identity. config is the type's JSON
-- (for password: the hash, never the password); identifiers is a JSON copy
-- of the credential's rows in identity_credential_identifiers.
CREATE TABLE identity_credentials (
    id          TEXT      NOT NULL PRIMARY KEY,
    identity_id TEXT      NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    type        TEXT      NOT NULL,
    config      TEXT      NOT NULL,
    identifiers TEXT      NOT NULL,
    version     INTEGER   NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    UNIQUE (identity_id, type)
);

-- The identifiers a credential signs in with (an email, a username). An
-- identifier belongs to at most one identity per credential type: the
-- primary key is what refuses a second sign-up with the same address.
CREATE TABLE identity_credential_identifiers (
    type          TEXT NOT NULL,
    identifier    TEXT NOT NULL,
    identity_id   TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL REFERENCES identity_credentials (id) ON DELETE CASCADE,
    PRIMARY KEY (type, identifier)
);

CREATE INDEX identity_credential_identifiers_identity_idx ON identity_credential_identifiers (identity_id);

-- Verifiable (kind 'verifiable') and recovery (kind 'recovery') addresses,
-- one row each, for finding an identity by address and for uniqueness; the
-- identity's own row carries the same addresses as JSON for reading.
CREATE TABLE identity_addresses (
    kind        TEXT NOT NULL,
    via         TEXT NOT NULL,
    value       TEXT NOT NULL,
    id          TEXT NOT NULL,
    identity_id TEXT NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
    PRIMARY KEY (kind, via, value)
);

CREATE INDEX identity_addresses_identity_idx ON identity_addresses (identity_id);
CREATE UNIQUE INDEX identity_addresses_id_idx ON identity_addresses (id);

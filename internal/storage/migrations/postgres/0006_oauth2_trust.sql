-- Trust relationships of the JWT-bearer grant (RFC 7523): issuer may assert
-- subject, or any subject when allow_any_subject is set (subject is then
-- ''), with JWTs signed by the key key_id names, for the space-separated
-- scope, until expires_at.
--
-- key_data is the issuer's public key as JSON (kid, alg, use and public
-- members only): private and symmetric keys are refused before they are
-- stored. Within an issuer a key_id names one key; the application checks
-- this in the transaction that inserts. The unique index serves the token
-- endpoint's lookup by (issuer, key_id, subject in (sub, '')) as well as
-- that check. expires_at and created_at are written by the application
-- (UTC); lists are ordered by (created_at, id).
CREATE TABLE oauth2_trusted_jwt_issuers (
    id                TEXT        NOT NULL PRIMARY KEY,
    issuer            TEXT        NOT NULL,
    subject           TEXT        NOT NULL,
    allow_any_subject BOOLEAN     NOT NULL,
    scope             TEXT        NOT NULL,
    key_id            TEXT        NOT NULL,
    key_data          TEXT        NOT NULL,
    expires_at        TIMESTAMPTZ NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    CHECK ((subject = '') = allow_any_subject)
);

CREATE UNIQUE INDEX oauth2_trusted_jwt_issuers_key_idx ON oauth2_trusted_jwt_issuers (issuer, key_id, subject);
CREATE INDEX oauth2_trusted_jwt_issuers_list_idx ON oauth2_trusted_jwt_issuers (created_at, id);
CREATE INDEX oauth2_trusted_jwt_issuers_issuer_idx ON oauth2_trusted_jwt_issuers (issuer, created_at, id);

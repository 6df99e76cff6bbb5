-- JSON Web Keys of the OAuth2 service, grouped in named sets.
--
-- key_data is the key's JSON, private parts included, encrypted with the
-- first secret of secrets.cipher: never the key in clear. alg and key_use are
-- copies of the key's own fields, kept in clear so the signing key and the
-- publishable keys are picked without decrypting every key. created_at is
-- written by the application (UTC) and orders the keys of a set: the newest
-- signing key signs, all keys verify.
CREATE TABLE oauth2_jwks (
    set_id     TEXT        NOT NULL,
    kid        TEXT        NOT NULL,
    alg        TEXT        NOT NULL,
    key_use    TEXT        NOT NULL,
    key_data   TEXT        NOT NULL,
    created_at TIMESTAMP   NOT NULL,
    PRIMARY KEY (set_id, kid)
);

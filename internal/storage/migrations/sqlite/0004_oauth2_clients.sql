-- OAuth2 clients.
--
-- client_data is the client's JSON as the admin API shows it, without any
-- secret. client_name, owner and created_at are copies of its fields, kept
-- in columns so lists filter and page without decoding every client.
--
-- secret_hash is the hash of the current client secret, never the secret:
-- "$hmac-sha256$..." (keyed by the system secret) for secrets the server
-- generated, "$argon2id$..." for secrets an operator chose; empty for
-- clients without a secret. rotated_secret_hashes holds the hashes of
-- secrets replaced by a rotation, space-separated, which still authenticate
-- until they are deleted.
CREATE TABLE oauth2_clients (
    id                    TEXT        NOT NULL PRIMARY KEY,
    client_name           TEXT        NOT NULL,
    owner                 TEXT        NOT NULL,
    client_data           TEXT        NOT NULL,
    secret_hash           TEXT        NOT NULL,
    rotated_secret_hashes TEXT        NOT NULL,
    created_at            TIMESTAMP   NOT NULL
);

CREATE INDEX oauth2_clients_name_idx ON oauth2_clients (client_name, id);
CREATE INDEX oauth2_clients_owner_idx ON oauth2_clients (owner, id);

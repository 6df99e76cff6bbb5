-- Dynamic client registration (OpenID Connect Dynamic Client Registration
-- 1.0, RFC 7591 and RFC 7592).
--
-- registration_token_hash is the hash of the registration access token a
-- client registered through /oauth2/register manages itself with, never the
-- token: "$hmac-sha256$..." keyed by a key derived from the system secret.
-- It is empty for clients created through the admin API, which cannot be
-- managed through the registration endpoints. Replacing a registered
-- client's metadata issues a new token and overwrites the hash.
ALTER TABLE oauth2_clients ADD COLUMN registration_token_hash TEXT NOT NULL DEFAULT '';

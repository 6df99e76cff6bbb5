-- Listing identities by credentials identifier (any credential type)
-- looks identifiers up without their type: this index serves that lookup.
CREATE INDEX identity_credential_identifiers_identifier_idx ON identity_credential_identifiers (identifier);

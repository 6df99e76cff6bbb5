-- Self-service flows (login, registration, settings, recovery,
-- verification) while a user or an app fills them in, and the errors
-- shown to browsers. flow_data is the flow's JSON with its server-side
-- state (hashes of codes sent, the CSRF binding); a flow is replaced only
-- if it still holds what the submission read, so one flow cannot be
-- completed twice.
CREATE TABLE selfservice_flows (
    id         TEXT      NOT NULL PRIMARY KEY,
    kind       TEXT      NOT NULL,
    flow_data  TEXT      NOT NULL,
    version    INTEGER   NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE INDEX selfservice_flows_expiry_idx ON selfservice_flows (expires_at);

CREATE TABLE selfservice_errors (
    id         TEXT      NOT NULL PRIMARY KEY,
    error_data TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE INDEX selfservice_errors_created_idx ON selfservice_errors (created_at);

-- Courier: the outbox of outgoing email.
--
-- courier_messages holds one message each, rendered when it was queued:
-- body is the plain-text part, html_body the HTML part (empty: none).
-- status is queued, processing, sent or abandoned. A worker claims a due
-- message by a conditional UPDATE that moves it to processing, sets a fresh
-- claim_token and pushes next_attempt_at to the end of its lease; it later
-- records the outcome only while claim_token is still the one it set. A
-- processing message whose lease ended (its worker died) is due again.
-- For a queued message next_attempt_at is when the next attempt may start
-- (retries back off). send_count counts the attempts started.
CREATE TABLE courier_messages (
    id              TEXT      NOT NULL PRIMARY KEY,
    type            TEXT      NOT NULL,
    status          TEXT      NOT NULL,
    channel         TEXT      NOT NULL,
    recipient       TEXT      NOT NULL,
    subject         TEXT      NOT NULL,
    body            TEXT      NOT NULL,
    html_body       TEXT      NOT NULL,
    template_type   TEXT      NOT NULL,
    send_count      INTEGER   NOT NULL,
    claim_token     TEXT      NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);

CREATE INDEX courier_messages_due_idx ON courier_messages (status, next_attempt_at);
CREATE INDEX courier_messages_created_idx ON courier_messages (created_at, id);
CREATE INDEX courier_messages_recipient_idx ON courier_messages (recipient, created_at, id);

-- One row per delivery attempt of a message: status success or failed,
-- error the failure as a JSON object (empty on success).
CREATE TABLE courier_message_dispatches (
    id         TEXT      NOT NULL PRIMARY KEY,
    message_id TEXT      NOT NULL REFERENCES courier_messages (id) ON DELETE CASCADE,
    status     TEXT      NOT NULL,
    error      TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE INDEX courier_message_dispatches_message_idx ON courier_message_dispatches (message_id, created_at);

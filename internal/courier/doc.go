// Package courier sends the identity service's email: an outbox of
// messages in the database, templates for the messages the self-service
// flows send, an SMTP sender, a worker that delivers queued messages with
// retries, and the admin API on Kratos's paths (/admin/courier/messages).
//
// Invariants:
//   - A message is rendered once, when it is queued: its subject and both
//     bodies are stored, so a template change never alters a queued message.
//   - A message is delivered by one worker at a time, across every replica:
//     a worker claims it with a conditional UPDATE (queued -> processing,
//     with a fresh claim token and a lease), and records the outcome only
//     while its token is still the message's. A claim whose lease ended (its
//     worker died) is claimed again; delivery is therefore at least once,
//     and twice only when a worker outlives its lease.
//   - Every attempt is counted in send_count when it starts and recorded as
//     a dispatch when it ends (success, or failed with the error as a JSON
//     object). A failed attempt is retried after an exponential back-off
//     until Retries retries have failed; the message is then abandoned.
//   - The SMTP sender never sends credentials over an unencrypted
//     connection unless the operator turned STARTTLS off; with STARTTLS on
//     (the default for smtp://), a server that does not offer it is an
//     error, not a silent fall back to clear text.
//   - Subjects are one line and encoded per RFC 2047; recipients are bare
//     addresses; configured headers cannot replace the ones the courier
//     sets. Nothing a template renders can add a header.
package courier

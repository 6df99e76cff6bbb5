// Package schema loads, compiles and applies identity schemas: the JSON
// Schemas that describe an identity's traits, configured as Ory Kratos does
// (identity.schemas: [{id, url}], identity.default_schema_id).
//
// A Registry holds every configured schema, compiled once at start-up. Each
// Schema
//
//   - validates a traits document (Validate), answering field-level messages
//     with Kratos's message ids and texts (4000002 "Property email is missing."
//     on the node traits.email, 4000003 for minLength, ...);
//   - extracts what the "ory.sh/kratos" extension marks in the traits
//     (Extract): password, WebAuthn and code identifiers, verifiable and
//     recovery addresses, the TOTP account name, the passkey display name;
//   - lists the form fields a UI builds from the schema (Fields), in the
//     order the properties appear in the schema document.
//
// Sources. A schema URL is file:// (an absolute path, or a path relative to
// Options.BaseDir), base64:// (standard or URL-safe alphabet, padded or not)
// or http(s):// through Options.Fetch; without a Fetch function http(s) URLs
// are refused. A $ref to another document is refused unless
// Options.AllowRemoteRefs is set (base64:// references are self-contained and
// always allowed); references inside the document (#/definitions/...) always
// work. With no schema configured the built-in schema "default" is used:
// traits.email (an email address, password and code identifier, verified and
// recovered by email) and an optional traits.name {first, last}.
//
// Drafts. The draft follows $schema (draft-04 to 2020-12); a schema without
// $schema is compiled as draft-07, the draft of Kratos's own examples. Format
// assertions are on in every draft, with this package's checks for email,
// tel (E.164: "+" then 7 to 15 digits, the first not 0), date (RFC 3339
// full-date) and uri (absolute, RFC 3986 characters only).
//
// Invariants.
//   - A Schema is immutable after Compile and safe for concurrent use.
//   - Validate and Extract refuse a traits document over MaxTraitsBytes or
//     nested deeper than MaxTraitsDepth before parsing it, and any document
//     that is not a JSON object; no input makes them panic.
//   - Identifiers (password, WebAuthn, code) are trimmed and lower-cased
//     (Unicode simple folding via strings.ToLower) whatever their format, so
//     two identifiers that differ only in case or surrounding space are the
//     same identifier; uniqueness checks compare these normalised values.
//     Email addresses are normalised the same way; SMS addresses are only
//     trimmed. Every extracted list is free of duplicates and keeps the
//     order of first appearance (schema property order, then array order).
//   - A value marked as code identifier, verifiable or recovery address must
//     be a valid email address (via email) or phone number (via sms):
//     Validate reports it on the value's field even when the schema declares
//     no format.
//   - Field names are dot paths from the identity document root:
//     traits.email, traits.name.first, traits.emails.0 for array items.
package schema

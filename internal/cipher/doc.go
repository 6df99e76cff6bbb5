// Package cipher encrypts secrets at rest (private keys, client secrets, TOTP
// seeds) with the secrets of secrets.cipher.
//
// Invariants: the first secret encrypts, every secret decrypts, so a secret
// is rotated by putting the new one first and keeping the old one after it
// until everything has been written again. Every ciphertext names the key
// that made it (a short identifier derived from the secret, never the secret
// itself), so decryption tries one key, not all. Ciphertexts are
// authenticated: a changed, truncated or foreign ciphertext is refused with
// an error, never decrypted to garbage, and Decrypt never panics on any
// input.
package cipher

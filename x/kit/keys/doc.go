// Package keys implements the signature schemes accounts may use — Ed25519,
// ECDSA P-256 (what cloud key vaults and HSMs hold) and secp256k1 — and the
// account address derived from a public key.
//
// # Encodings
//
// Public keys are canonical: 32 raw bytes for Ed25519, 33-byte SEC 1
// compressed points for the ECDSA curves. Signatures are 64 bytes: Ed25519's
// own, or r||s for ECDSA over SHA-256 of the message with s in the lower
// half of the group order, so that no signature has a second valid form.
//
// # Addresses
//
// An address is the first 20 bytes of SHA-256(type byte || public key),
// written in bech32 with the human-readable part "lin". Only the lower-case
// form is canonical; [ParseAddress] rejects every other spelling so that one
// account never has two state keys.
package keys

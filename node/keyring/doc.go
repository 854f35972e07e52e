// Package keyring stores account keys on disk, encrypted at rest.
//
// # Layout
//
// A keyring is a directory:
//
//	keyring.check      age/scrypt encryption of a fixed text, to tell a wrong
//	                   passphrase apart from a damaged key file
//	NAME.key           age/scrypt (ASCII-armored) encryption of the private key
//	NAME.info.json     public part: type, public key, account address, and the
//	                   external signer command if the key lives elsewhere
//
// Every key in a keyring shares one passphrase. Files are written with mode
// 0600 inside a 0700 directory, atomically (write to a temporary file, then
// rename), so a crash never leaves half a key.
//
// # Dev keyrings
//
// [CreateDev] makes a keyring whose keys are stored unencrypted, for the
// throw-away chain of `lineaged dev` only. Its directory carries a
// DEV-ONLY-UNENCRYPTED marker and every use of it prints a warning.
//
// # External signers
//
// A key added with [Keyring.AddExternal] has no private part here: signing
// runs the configured command (see [ExternalSigner]), which can hand the
// bytes to a cloud key vault or an HSM.
package keyring

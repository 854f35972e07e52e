// Package proof is everything a verifier needs to trust a query's answer
// without trusting the node: it checks a [proofv1.ProofBundle] against an
// app hash ([Verify]), answers reads from the proven facts alone
// ([Reader]), records a query's re-run over them ([Recorder]) and checks
// that the bundle proves exactly what that re-run read ([CheckMinimal]).
//
// It needs no database and no state tree: it imports only package kv, the
// generated proofv1 messages and ICS 23, so that an offline verifier does
// not link iavl or pebble. Package store builds bundles, reusing the
// [Recorder] here for what a query read; the two sides share [Span] and
// [Span.GapProbes], so the prover and the verifier cannot disagree on what
// a range covers.
//
// # Verifying an answer
//
// A verifier holding the app hash of a version (from a signed header it
// trusts) and a bundle for that version:
//
//  1. calls [Verify], which rejects any bundle that does not prove what it
//     claims, with an error wrapping [ErrInvalid];
//  2. wraps the returned [Reader] in a [Recorder] and re-runs the query
//     over it inside [Run]: a read the proofs do not answer panics with an
//     error wrapping [ErrUnproven], and Run turns it back into an error;
//  3. calls [CheckMinimal] with the bundle and the recorder, so that a
//     bundle proving more than the query read (a widened range, a surplus
//     key) is refused too;
//  4. compares the re-run's answer with the one it was given.
//
// # Single keys
//
// A query of one raw state key is proven by one ICS 23 commitment proof
// alone, as an operation of type [ICS23OpType]: [VerifyKeyProof] checks it
// against an app hash, and [KeyProofRoot] names the root it leads to.
//
// # Caller duties
//
// Reads of a [Reader] must run under [Run], or the [ErrUnproven] panic goes
// on up the stack. A [Recorder] serves one query at a time. Both readers
// return slices the caller must not modify.
package proof

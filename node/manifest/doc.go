// Package manifest hashes files and model directories on the client side:
// single files to a canonical [digest.Digest], and whole model directories
// to a manifest that is byte-for-byte interchangeable, digest for digest,
// with the OpenSSF model-signing project (github.com/sigstore/model-transparency,
// Python package model_signing), so a model registered on Lineage Ledger can
// be signed and verified with that project's tools and the other way round.
//
// # Hashing a file
//
// [HashFile] streams a reader through sha256, sha512 or blake2b-256 and
// returns the canonical digest ("sha256:<hex>") and the byte count. Memory
// use is one copy buffer, whatever the size of the input.
//
// # Model manifests
//
// [Build] walks a model directory and hashes every regular file under it
// with SHA-256 (streaming, on a bounded pool of workers; the result does not
// depend on the number of workers). Each file is named by its path relative
// to the model directory, with "/" as separator. Directories are not
// entries, so empty directories leave no trace, while empty files are
// entries (with the digest of zero bytes). A model with no regular file
// left after the exclusions below is refused, as upstream does.
//
// Files are ordered as model_signing orders them: by comparing paths
// component by component (Python's pathlib.PurePosixPath ordering), each
// component by Unicode code point. This is not plain string order: "a/b"
// sorts before "a-b" because the component "a" sorts before "a-b". Names
// that are not valid UTF-8 are refused, since JSON cannot carry them.
//
// The root digest identifies the whole model: SHA-256 over the
// concatenation of the raw (not hex) per-file SHA-256 digests, in manifest
// order. It is what model_signing records as the digest of the one subject
// of its in-toto statement, and what Lineage Ledger records for a model.
//
// # Exclusions
//
// By default the git metadata entries .git, .gitattributes, .github and
// .gitignore, and the signature file model.sig, are excluded, each only at
// the top level of the model directory (a nested sub/.gitignore is hashed),
// and a directory entry excludes everything below it. Options.IncludeGit
// keeps the git entries; Options.Ignore adds paths relative to the model
// directory (matched literally, no globbing). All exclusions are recorded
// in the statement's serialization.ignore_paths, so a verifier can apply the
// same ones.
//
// # Symbolic links and special files
//
// Like model_signing (allow_symlinks defaults to false), a symbolic link
// anywhere in the model, including the model directory itself, is refused
// with [ErrSymlink] unless Options.AllowSymlinks is set; then a link to a
// regular file is hashed as the content of its target under the link's own
// name (the target may lie outside the model). A link to a directory is
// refused even then, to keep the walk finite and its result unambiguous.
// Named pipes, sockets and devices are refused with [ErrSpecialFile].
//
// # Statement format
//
// [Manifest.Statement] renders the in-toto Statement v1 that model_signing
// signs (as the DSSE payload, payloadType "application/vnd.in-toto+json"):
//
//	{
//	  "_type": "https://in-toto.io/Statement/v1",
//	  "subject": [{"name": "<model name>", "digest": {"sha256": "<root hex>"}}],
//	  "predicateType": "https://model_signing/signature/v1.0",
//	  "predicate": {
//	    "serialization": {"method": "files", "hash_type": "sha256",
//	                      "allow_symlinks": false, "ignore_paths": [...]},
//	    "resources": [{"name": "<path>", "algorithm": "sha256", "digest": "<hex>"}, ...]
//	  }
//	}
//
// The bytes are deterministic (fixed key order, two-space indentation,
// ignore_paths sorted like resources, a final newline); upstream emits the
// same fields through protobuf's JSON printer with unspecified key order and
// keeps ignore_paths in a set, so compatibility is at the JSON level, not
// the byte level. The subject name is informational: it changes neither the
// root digest nor verification. [ParseStatement] reads such a statement
// back and checks, as upstream's verifier does, that the resources hash to
// the subject digest in the order they are listed.
//
// # Sources checked
//
// The format above was checked against these files (read, not copied):
//
//   - sigstore/model-transparency src/model_signing/_signing/signing.py:
//     Payload (root digest = memory.SHA256 updated with each
//     descriptor.digest.digest_value in order; statement and predicate
//     layout; predicateType), dsse_payload_to_manifest (verifier recomputes
//     the root over resources in listed order).
//   - src/model_signing/manifest.py: Manifest.resource_descriptors (sorted by
//     the File key, a pathlib.PurePosixPath), _FileSerialization
//     ("method": "files", "hash_type", "allow_symlinks").
//   - src/model_signing/hashing.py: Config.hash (default ignores ".git/",
//     ".gitattributes", ".github/", ".gitignore", joined to the model path),
//     use_file_serialization (allow_symlinks=False, 1 MiB chunks).
//   - src/model_signing/_cli.py: default --signature model.sig, added to the
//     ignored paths when signing.
//   - src/model_signing/_serialization/file.py and serialization.py:
//     should_ignore (path.is_relative_to), check_file_or_directory (refuses
//     symlinks unless allowed, and anything neither file nor directory),
//     "Model contains no regular files after applying exclusions", ignore
//     paths recorded relative to the model.
//   - src/model_signing/_filesystem.py: check_path_within_model (the model
//     root and every component must not be a symlink unless allowed).
//   - tests/conftest.py and
//     tests/_signing/testdata/signing/TestPayload/{sample,deep}_model_folder:
//     the upstream golden vectors reproduced in this package's tests.
//   - sampras343/model-signing-spec SPEC.md (a draft specification of the
//     same format) and test-vectors/v1.0/valid/key.bundle.json (a published
//     statement with serialization.ignore_paths, also reproduced in tests).
//     The draft says resources sort "by Unicode code point"; the reference
//     implementation sorts by path components as above, which only differs
//     for names where a component is a prefix of its sibling followed by a
//     character below "/" (such as "a-b" next to "a/b"); this package
//     follows the reference implementation.
//   - CPython Lib/pathlib: PurePath.__lt__ compares _parts_normcase, the
//     list of path components.
package manifest

package cli

import (
	"os"
	"strings"

	"github.com/lineageledger/lineaged/x/kit/digest"
)

// checkDigestFlag checks a digest given as --flag before anything is
// signed or sent: a malformed digest would only be refused in a block,
// after spending the signer's sequence. A path where a digest belongs gets
// the command that computes its digest (hashCmd: "lineaged hash model" or
// "lineaged hash file"), and alt, another way to give it, if any.
func checkDigestFlag(flag, value, hashCmd, alt string) error {
	err := digest.Validate(value)
	if err == nil {
		return nil
	}
	if looksLikePath(value) {
		msg := "--%s %q is a path, not a digest: give the digest of what is there, e.g. --%s $(%s %s)"
		args := []any{flag, value, flag, hashCmd, value}
		if alt != "" {
			msg += ", or %s"
			args = append(args, alt)
		}
		return usagef(msg, args...)
	}
	return usagef("--%s: %v", flag, err)
}

// looksLikePath reports whether s names a file or directory rather than
// being a (malformed) digest: it exists, or is spelt as a path.
func looksLikePath(s string) bool {
	if _, err := os.Stat(expandHome(s)); err == nil {
		return true
	}
	if algo, _, ok := strings.Cut(s, ":"); ok && !strings.ContainsAny(algo, `/\.~`) {
		return false // algorithm:value, however malformed
	}
	return strings.ContainsAny(s, `/\`) || strings.HasPrefix(s, ".") || strings.HasPrefix(s, "~")
}

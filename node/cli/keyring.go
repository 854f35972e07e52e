package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lineageledger/lineaged/node/keyring"
)

// PassphraseEnv supplies the keyring passphrase non-interactively.
const PassphraseEnv = "LINEAGED_KEYRING_PASSPHRASE"

func keyringFlags(cmd *cobra.Command) {
	cmd.Flags().String("keyring-dir", "", "keyring directory (default HOME/keyring)")
	cmd.Flags().String("passphrase-file", "", "read the keyring passphrase from this file (else $"+PassphraseEnv+", else a prompt)")
}

func (e *env) keyringDir() string {
	if d := e.v.GetString("keyring-dir"); d != "" {
		return expandHome(d)
	}
	return filepath.Join(e.home(), "keyring")
}

// keyring opens the keyring; the passphrase comes from --passphrase-file,
// then $LINEAGED_KEYRING_PASSPHRASE, then a terminal prompt.
func (e *env) keyring() *keyring.Keyring {
	if e.kr == nil {
		e.kr = keyring.Open(e.keyringDir(), keyring.Options{
			Warn:       e.stderr,
			Passphrase: func(confirm bool) (string, error) { return e.passphrase("Keyring passphrase", confirm) },
		})
	}
	return e.kr
}

func (e *env) passphrase(prompt string, confirm bool) (string, error) {
	if f := e.v.GetString("passphrase-file"); f != "" {
		b, err := os.ReadFile(expandHome(f))
		if err != nil {
			return "", fmt.Errorf("failed to read passphrase file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	if p, ok := os.LookupEnv(PassphraseEnv); ok {
		return p, nil
	}
	return promptSecret(e, prompt, confirm)
}

// promptSecret reads a secret from the terminal without echo.
func promptSecret(e *env, prompt string, confirm bool) (string, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil || !term.IsTerminal(int(tty.Fd())) {
		return "", errors.New("a passphrase is needed: set " + PassphraseEnv + ", pass --passphrase-file, or run in a terminal")
	}
	defer tty.Close()
	read := func(p string) (string, error) {
		fmt.Fprint(tty, p+": ")
		b, err := term.ReadPassword(int(tty.Fd()))
		fmt.Fprintln(tty)
		return string(b), err
	}
	p, err := read(prompt)
	if err != nil {
		return "", fmt.Errorf("failed to read passphrase: %w", err)
	}
	if confirm {
		again, err := read("Repeat " + strings.ToLower(prompt[:1]) + prompt[1:])
		if err != nil {
			return "", fmt.Errorf("failed to read passphrase: %w", err)
		}
		if again != p {
			return "", errors.New("passphrases do not match")
		}
	}
	return p, nil
}

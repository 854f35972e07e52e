package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
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

// secretSource says where one kind of passphrase comes from, in order: a
// file named by a flag, an environment variable, a terminal prompt.
type secretSource struct {
	name   string // what the passphrase is, for messages
	prompt string
	flag   string
	env    string
}

// passphrase reads the keyring passphrase; prompt is what the terminal
// prompt says.
func (e *env) passphrase(prompt string, confirm bool) (string, error) {
	return e.secret(secretSource{name: "keyring passphrase", prompt: prompt, flag: "passphrase-file", env: PassphraseEnv}, confirm)
}

func (e *env) secret(src secretSource, confirm bool) (string, error) {
	if f := e.v.GetString(src.flag); f != "" {
		path := expandHome(f)
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("failed to read %s file: %w", src.name, err)
		}
		e.warnReadableSecretFile(path)
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	if p, ok := os.LookupEnv(src.env); ok {
		return p, nil
	}
	return promptSecret(src, confirm)
}

// warnReadableSecretFile warns, once per command and file, when a
// passphrase file can be read by its group or by everyone. The passphrase
// is still used: the warning says how to close the hole.
func (e *env) warnReadableSecretFile(path string) {
	if runtime.GOOS == "windows" {
		return // no Unix modes to check
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o044 == 0 {
		return
	}
	if _, dup := e.warnedFiles.LoadOrStore(path, true); dup {
		return
	}
	fmt.Fprintf(e.stderr, "WARNING: passphrase file %s is readable by others (mode %04o); restrict it with: chmod 600 %s\n",
		path, fi.Mode().Perm(), path)
}

// openTTY opens the terminal prompts read from.
var openTTY = func() (*os.File, error) { return os.OpenFile("/dev/tty", os.O_RDWR, 0) }

// promptSecret reads a secret from the terminal without echo.
func promptSecret(src secretSource, confirm bool) (string, error) {
	tty, err := openTTY()
	if err == nil && !term.IsTerminal(int(tty.Fd())) {
		tty.Close()
		err = errors.New("not a terminal")
	}
	if err != nil {
		return "", fmt.Errorf("the %s is needed: set $%s, pass --%s, or run in a terminal", src.name, src.env, src.flag)
	}
	defer tty.Close()
	prompt := src.prompt
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

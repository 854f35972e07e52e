package keyring

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
)

// Signer signs for one account.
type Signer interface {
	// Address is the account the signer signs for.
	Address() string
	// Public is the key that verifies its signatures.
	Public() *keysv1.PublicKey
	// Sign returns the canonical signature of msg.
	Sign(msg []byte) ([]byte, error)
}

// Signer returns a signer for a key: the decrypted key itself, or its
// external signer command. A non-empty overrideCmd signs with that command
// instead, whatever the key holds.
func (k *Keyring) Signer(name, overrideCmd string) (Signer, error) {
	info, err := k.Show(name)
	if err != nil {
		return nil, err
	}
	if info.RotatedTo != "" {
		return nil, fmt.Errorf("key %s was rotated out of account %s and no longer signs for it: use key %s", name, info.Address, info.RotatedTo)
	}
	pub, err := info.Public()
	if err != nil {
		return nil, err
	}
	cmd := info.SignerCmd
	if overrideCmd != "" {
		cmd = overrideCmd
	}
	if cmd != "" {
		return &ExternalSigner{Command: cmd, Key: pub, Account: info.Address}, nil
	}
	priv, err := k.PrivateKey(name)
	if err != nil {
		return nil, err
	}
	return &localSigner{priv: priv, address: info.Address}, nil
}

type localSigner struct {
	priv    *keys.PrivateKey
	address string
}

func (s *localSigner) Address() string                 { return s.address }
func (s *localSigner) Public() *keysv1.PublicKey       { return s.priv.Public() }
func (s *localSigner) Sign(msg []byte) ([]byte, error) { return s.priv.Sign(msg) }

// Limits on an external signer.
const (
	// DefaultSignerTimeout bounds one signing when [ExternalSigner.Timeout]
	// is zero.
	DefaultSignerTimeout = time.Minute
	// MaxSignerOutput bounds what a signer may print on stdout: 64 KiB,
	// hundreds of times the longest signature in any accepted encoding.
	MaxSignerOutput = 64 << 10
	// maxSignerStderr bounds the diagnostics kept from a signer's stderr
	// for the error message; anything beyond is read and dropped.
	maxSignerStderr = 4 << 10
	// signerWaitDelay is how long a signing waits for the command's output
	// to close once the command has exited or been killed: a child it left
	// behind may hold the pipes open.
	signerWaitDelay = 2 * time.Second
)

var (
	// ErrSignerTimeout means an external signer ran past its timeout and
	// was killed.
	ErrSignerTimeout = errors.New("external signer timed out")
	// ErrSignerOutput means an external signer printed more than
	// [MaxSignerOutput] bytes and was killed.
	ErrSignerOutput = errors.New("external signer printed too much")
)

// ExternalSigner signs by running a command, so that the private key can
// stay in a cloud key vault or an HSM.
//
// The command runs under /bin/sh -c with the bytes to sign on stdin and
// these variables set:
//
//	LINEAGED_KEY_TYPE         ed25519, p256 or secp256k1
//	LINEAGED_PUBLIC_KEY       the expected public key, hex
//	LINEAGED_SIGN_DIGEST      hex SHA-256 of stdin (what ECDSA key services sign)
//
// It must print the signature on stdout: hex or base64 text, or raw bytes.
// ECDSA signatures may be 64-byte r||s or DER, with any S; they are
// normalised to the canonical form. The signature is verified against the
// public key before use, so a misconfigured signer fails here, not on chain.
//
// # Limits
//
// On Unix the command leads a process group of its own, and when Sign
// returns that whole group is killed: a signer cannot outlive the call,
// nor can a child it started keep the call waiting by holding its output
// open. The command is killed at [ExternalSigner.Timeout], or as soon as it
// prints more than [MaxSignerOutput] bytes on stdout; only the first 4 KiB
// of its stderr are kept, for the error message. After the command exits,
// a child that still holds its output is given [signerWaitDelay] before the
// output is closed. Where there are no process groups (Windows) only the
// command itself is killed, and the same wait bounds the call.
type ExternalSigner struct {
	Command string
	Key     *keysv1.PublicKey
	Account string
	// Timeout bounds one signing; [DefaultSignerTimeout] if zero.
	Timeout time.Duration
}

// Address implements Signer.
func (s *ExternalSigner) Address() string { return s.Account }

// Public implements Signer.
func (s *ExternalSigner) Public() *keysv1.PublicKey { return s.Key }

// Sign implements Signer.
func (s *ExternalSigner) Sign(msg []byte) ([]byte, error) {
	out, err := s.run(msg)
	if err != nil {
		return nil, err
	}
	sig, err := keys.NormalizeSignature(s.Key.Type, decodeSignatureOutput(out))
	if err != nil {
		return nil, fmt.Errorf("external signer output: %w", err)
	}
	if err := keys.Verify(s.Key, msg, sig); err != nil {
		return nil, fmt.Errorf("external signer returned a signature that does not verify against %s key %x: %w",
			keys.TypeName(s.Key.Type), s.Key.Key, err)
	}
	return sig, nil
}

// run runs the command on msg within the limits and returns its stdout.
func (s *ExternalSigner) run(msg []byte) ([]byte, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultSignerTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	digest := sha256.Sum256(msg)
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", s.Command)
	ownProcessGroup(cmd)
	cmd.Cancel = func() error { return killProcessGroup(cmd) }
	cmd.WaitDelay = signerWaitDelay
	cmd.Stdin = bytes.NewReader(msg)
	cmd.Env = append(os.Environ(),
		"LINEAGED_KEY_TYPE="+keys.TypeName(s.Key.Type),
		"LINEAGED_PUBLIC_KEY="+hex.EncodeToString(s.Key.Key),
		"LINEAGED_SIGN_DIGEST="+hex.EncodeToString(digest[:]),
	)
	stdout := &cappedBuffer{max: MaxSignerOutput, overflow: cancel}
	stderr := &cappedBuffer{max: maxSignerStderr}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	// Nothing the signer started outlives the call.
	killProcessGroup(cmd)
	diag := strings.TrimSpace(stderr.buf.String())
	switch {
	case stdout.overflowed:
		return nil, fmt.Errorf("%w: it printed more than %d KiB on stdout, far more than any signature, and was killed",
			ErrSignerOutput, MaxSignerOutput>>10)
	case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, fmt.Errorf("%w after %v; it and the processes it started were killed: %s", ErrSignerTimeout, timeout, diag)
	case errors.Is(err, exec.ErrWaitDelay):
		// The command exited cleanly but left a child holding its output;
		// the child is killed and what was printed is checked as usual.
	case err != nil:
		return nil, fmt.Errorf("external signer failed: %w: %s", err, diag)
	}
	return stdout.buf.Bytes(), nil
}

// cappedBuffer keeps at most max bytes written to it. Past that it either
// calls overflow and fails the write (stopping the copy from the command),
// or, with no overflow func, drops the rest quietly so the writer never
// blocks.
type cappedBuffer struct {
	buf        bytes.Buffer
	max        int
	overflow   func()
	overflowed bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	room := b.max - b.buf.Len()
	if len(p) <= room {
		return b.buf.Write(p)
	}
	b.buf.Write(p[:max(room, 0)])
	if b.overflow == nil {
		return len(p), nil
	}
	b.overflowed = true
	b.overflow()
	return 0, errOutputCapped
}

var errOutputCapped = errors.New("output over the cap")

// decodeSignatureOutput accepts hex or base64 text, else takes the bytes
// as they are.
func decodeSignatureOutput(out []byte) []byte {
	text := strings.TrimSpace(string(out))
	if b, err := hex.DecodeString(text); err == nil && len(b) > 0 {
		return b
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(text); err == nil && len(b) > 0 {
			return b
		}
	}
	return out
}

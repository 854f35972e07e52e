package keyring

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
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
type ExternalSigner struct {
	Command string
	Key     *keysv1.PublicKey
	Account string
	// Timeout bounds one signing; 60 s if zero.
	Timeout time.Duration
}

// Address implements Signer.
func (s *ExternalSigner) Address() string { return s.Account }

// Public implements Signer.
func (s *ExternalSigner) Public() *keysv1.PublicKey { return s.Key }

// Sign implements Signer.
func (s *ExternalSigner) Sign(msg []byte) ([]byte, error) {
	timeout := s.Timeout
	if timeout == 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	digest := sha256.Sum256(msg)
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", s.Command)
	cmd.Stdin = bytes.NewReader(msg)
	cmd.Env = append(os.Environ(),
		"LINEAGED_KEY_TYPE="+keys.TypeName(s.Key.Type),
		"LINEAGED_PUBLIC_KEY="+hex.EncodeToString(s.Key.Key),
		"LINEAGED_SIGN_DIGEST="+hex.EncodeToString(digest[:]),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("external signer failed: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	sig, err := keys.NormalizeSignature(s.Key.Type, decodeSignatureOutput(stdout.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("external signer output: %w", err)
	}
	if err := keys.Verify(s.Key, msg, sig); err != nil {
		return nil, fmt.Errorf("external signer returned a signature that does not verify against %s key %x: %w",
			keys.TypeName(s.Key.Type), s.Key.Key, err)
	}
	return sig, nil
}

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

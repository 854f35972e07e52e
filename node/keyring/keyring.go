package keyring

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"

	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
)

const (
	devMarker      = "DEV-ONLY-UNENCRYPTED"
	checkFile      = "keyring.check"
	checkPlaintext = "lineaged keyring v1"
	// MinPassphraseLen is the shortest passphrase accepted for a new keyring.
	MinPassphraseLen = 8
)

// ScryptWorkFactor is log2 of the scrypt cost used when encrypting. Tests
// lower it; nothing else should.
var ScryptWorkFactor = 18

var (
	// ErrNotFound means no key has that name.
	ErrNotFound = errors.New("key not found")
	// ErrExists means a key with that name exists already.
	ErrExists = errors.New("key already exists")
	// ErrWrongPassphrase means the passphrase does not open this keyring.
	ErrWrongPassphrase = errors.New("wrong keyring passphrase")
	// ErrExternal means the operation needs a private key this keyring does
	// not hold, because the key lives with an external signer.
	ErrExternal = errors.New("key is held by an external signer")
)

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Info is the public part of a key.
type Info struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	PublicKey string `json:"public_key"` // hex
	// Address is the account this key signs for. It is the key's own derived
	// address unless the key was rotated into an existing account.
	Address string `json:"address"`
	// SignerCmd, if set, is the external signer command.
	SignerCmd string `json:"signer_cmd,omitempty"`
	// RotatedTo, if set, names the key this one was rotated out for: it
	// no longer signs for Address.
	RotatedTo string `json:"rotated_to,omitempty"`
}

// Public decodes the info's public key.
func (i *Info) Public() (*keysv1.PublicKey, error) {
	t, err := keys.ParseType(i.Type)
	if err != nil {
		return nil, err
	}
	b, err := hex.DecodeString(i.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("key %s: bad public key: %w", i.Name, err)
	}
	pub := &keysv1.PublicKey{Type: t, Key: b}
	if err := keys.ValidatePublicKey(pub); err != nil {
		return nil, fmt.Errorf("key %s: %w", i.Name, err)
	}
	return pub, nil
}

// Options configure how a keyring is opened.
type Options struct {
	// Passphrase supplies the passphrase when one is needed. confirm is set
	// when a new passphrase is being chosen (a prompt should ask twice).
	Passphrase func(confirm bool) (string, error)
	// Warn receives warnings (dev keyrings say so on every use).
	Warn io.Writer
}

// Keyring is a directory of keys.
type Keyring struct {
	dir  string
	opts Options
	dev  bool
	pass *string // cached once verified
}

// Open opens the keyring in dir; it is created on first write.
func Open(dir string, opts Options) *Keyring {
	k := &Keyring{dir: dir, opts: opts}
	if _, err := os.Stat(filepath.Join(dir, devMarker)); err == nil {
		k.dev = true
		k.warn()
	}
	return k
}

// CreateDev creates (or opens) an unencrypted dev keyring in dir.
func CreateDev(dir string, warn io.Writer) (*Keyring, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create keyring: %w", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, devMarker)); err != nil {
			return nil, fmt.Errorf("%s holds an encrypted keyring; refusing to turn it into a dev keyring", dir)
		}
	}
	msg := "This keyring stores private keys UNENCRYPTED. It exists for `lineaged dev` only.\nNever put a key that protects anything real in it.\n"
	if err := writeAtomic(filepath.Join(dir, devMarker), []byte(msg), 0o600); err != nil {
		return nil, err
	}
	return Open(dir, Options{Warn: warn}), nil
}

// Dev reports whether this is an unencrypted dev keyring.
func (k *Keyring) Dev() bool { return k.dev }

// Dir is the keyring's directory.
func (k *Keyring) Dir() string { return k.dir }

func (k *Keyring) warn() {
	if k.opts.Warn != nil {
		fmt.Fprintf(k.opts.Warn, "WARNING: keyring %s is a DEV-ONLY keyring: its keys are stored unencrypted\n", k.dir)
	}
}

func (k *Keyring) keyPath(name string) string  { return filepath.Join(k.dir, name+".key") }
func (k *Keyring) infoPath(name string) string { return filepath.Join(k.dir, name+".info.json") }

func checkName(name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("invalid key name %q: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// Add generates a new key.
func (k *Keyring) Add(name string, t keysv1.KeyType) (*Info, error) {
	priv, err := keys.Generate(t)
	if err != nil {
		return nil, err
	}
	return k.store(name, priv)
}

// Import stores an existing private key.
func (k *Keyring) Import(name string, priv *keys.PrivateKey) (*Info, error) {
	return k.store(name, priv)
}

// AddExternal records a key held by an external signer: only its public
// key and the command that signs with it are stored.
func (k *Keyring) AddExternal(name string, pub *keysv1.PublicKey, signerCmd string) (*Info, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if err := keys.ValidatePublicKey(pub); err != nil {
		return nil, err
	}
	if strings.TrimSpace(signerCmd) == "" {
		return nil, errors.New("an external key needs a signer command")
	}
	if err := k.ensureNew(name); err != nil {
		return nil, err
	}
	info := newInfo(name, pub)
	info.SignerCmd = signerCmd
	return info, k.writeInfo(info)
}

func newInfo(name string, pub *keysv1.PublicKey) *Info {
	return &Info{
		Name:      name,
		Type:      keys.TypeName(pub.Type),
		PublicKey: hex.EncodeToString(pub.Key),
		Address:   keys.Address(pub),
	}
}

func (k *Keyring) ensureNew(name string) error {
	if err := os.MkdirAll(k.dir, 0o700); err != nil {
		return fmt.Errorf("failed to create keyring: %w", err)
	}
	if _, err := os.Stat(k.infoPath(name)); err == nil {
		return fmt.Errorf("%w: %s", ErrExists, name)
	}
	return nil
}

// secretFile is the plaintext of a .key file.
type secretFile struct {
	Type       string `json:"type"`
	PrivateKey string `json:"private_key"`
	// Address is the account the key signs for, in an export: after a
	// rotation it is not the key's own derived address.
	Address string `json:"address,omitempty"`
}

func (k *Keyring) store(name string, priv *keys.PrivateKey) (*Info, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if err := k.ensureNew(name); err != nil {
		return nil, err
	}
	plain, _ := json.Marshal(secretFile{Type: keys.TypeName(priv.Type()), PrivateKey: hex.EncodeToString(priv.Bytes())})
	var blob []byte
	if k.dev {
		blob = plain
	} else {
		pass, err := k.passphrase(true)
		if err != nil {
			return nil, err
		}
		if blob, err = encrypt(plain, pass); err != nil {
			return nil, err
		}
	}
	if err := writeAtomic(k.keyPath(name), blob, 0o600); err != nil {
		return nil, err
	}
	info := newInfo(name, priv.Public())
	if err := k.writeInfo(info); err != nil {
		os.Remove(k.keyPath(name))
		return nil, err
	}
	return info, nil
}

func (k *Keyring) writeInfo(info *Info) error {
	b, _ := json.MarshalIndent(info, "", "  ")
	return writeAtomic(k.infoPath(info.Name), append(b, '\n'), 0o600)
}

// MarkRotated records that key old was rotated out of its account in
// favour of key replacement, which signs for the account from now on.
func (k *Keyring) MarkRotated(old, replacement string) error {
	info, err := k.Show(old)
	if err != nil {
		return err
	}
	info.RotatedTo = replacement
	return k.writeInfo(info)
}

// SetAddress points a key at an account: after a key rotation the new key
// signs for the account's original address.
func (k *Keyring) SetAddress(name, address string) error {
	info, err := k.Show(name)
	if err != nil {
		return err
	}
	if _, err := keys.ParseAddress(address); err != nil {
		return err
	}
	info.Address = address
	return k.writeInfo(info)
}

// Show returns a key's public info.
func (k *Keyring) Show(name string) (*Info, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(k.infoPath(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s (in %s)", ErrNotFound, name, k.dir)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read key %s: %w", name, err)
	}
	var info Info
	if err := json.Unmarshal(b, &info); err != nil {
		return nil, fmt.Errorf("key %s: damaged info file: %w", name, err)
	}
	return &info, nil
}

// List returns every key's info, sorted by name.
func (k *Keyring) List() ([]*Info, error) {
	entries, err := os.ReadDir(k.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read keyring: %w", err)
	}
	var out []*Info
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".info.json")
		if !ok {
			continue
		}
		info, err := k.Show(name)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b *Info) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Delete removes a key for good.
func (k *Keyring) Delete(name string) error {
	if _, err := k.Show(name); err != nil {
		return err
	}
	if err := os.Remove(k.keyPath(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("failed to delete key %s: %w", name, err)
	}
	if err := os.Remove(k.infoPath(name)); err != nil {
		return fmt.Errorf("failed to delete key %s: %w", name, err)
	}
	return nil
}

// PrivateKey decrypts a key.
func (k *Keyring) PrivateKey(name string) (*keys.PrivateKey, error) {
	info, err := k.Show(name)
	if err != nil {
		return nil, err
	}
	if info.SignerCmd != "" {
		return nil, fmt.Errorf("%w: %s", ErrExternal, name)
	}
	blob, err := os.ReadFile(k.keyPath(name))
	if err != nil {
		return nil, fmt.Errorf("failed to read key %s: %w", name, err)
	}
	plain := blob
	if !k.dev {
		pass, err := k.passphrase(false)
		if err != nil {
			return nil, err
		}
		if plain, err = decrypt(blob, pass); err != nil {
			return nil, fmt.Errorf("key %s: %w", name, err)
		}
	}
	priv, err := parseSecret(plain)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", name, err)
	}
	want, err := info.Public()
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(priv.Public().Key, want.Key) {
		return nil, fmt.Errorf("key %s: private key does not match its public info", name)
	}
	return priv, nil
}

func parseSecret(plain []byte) (*keys.PrivateKey, error) {
	var s secretFile
	if err := json.Unmarshal(plain, &s); err != nil {
		return nil, fmt.Errorf("damaged key file: %w", err)
	}
	t, err := keys.ParseType(s.Type)
	if err != nil {
		return nil, err
	}
	b, err := hex.DecodeString(s.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("damaged key file: %w", err)
	}
	return keys.PrivateKeyFromBytes(t, b)
}

// Export returns the key re-encrypted under exportPass as ASCII armor,
// suitable for [Keyring.ImportArmored] on another machine.
func (k *Keyring) Export(name, exportPass string) ([]byte, error) {
	if len(exportPass) < MinPassphraseLen {
		return nil, fmt.Errorf("export passphrase must be at least %d characters", MinPassphraseLen)
	}
	info, err := k.Show(name)
	if err != nil {
		return nil, err
	}
	priv, err := k.PrivateKey(name)
	if err != nil {
		return nil, err
	}
	plain, _ := json.Marshal(secretFile{Type: keys.TypeName(priv.Type()), PrivateKey: hex.EncodeToString(priv.Bytes()), Address: info.Address})
	return encrypt(plain, exportPass)
}

// ImportArmored imports a key produced by [Keyring.Export].
func (k *Keyring) ImportArmored(name string, armored []byte, exportPass string) (*Info, error) {
	plain, err := decrypt(armored, exportPass)
	if err != nil {
		return nil, fmt.Errorf("failed to open exported key: %w", err)
	}
	priv, err := parseSecret(plain)
	if err != nil {
		return nil, err
	}
	var meta secretFile
	_ = json.Unmarshal(plain, &meta) // parseSecret accepted it
	info, err := k.store(name, priv)
	if err != nil || meta.Address == "" || meta.Address == info.Address {
		return info, err
	}
	// A key rotated into an account signs for that account's address.
	if err := k.SetAddress(name, meta.Address); err != nil {
		return nil, fmt.Errorf("exported key names account %q: %w", meta.Address, err)
	}
	return k.Show(name)
}

// passphrase returns the keyring passphrase, checking it against the
// keyring's check file, or creating that file when the keyring is new.
func (k *Keyring) passphrase(creating bool) (string, error) {
	if k.pass != nil {
		return *k.pass, nil
	}
	if k.opts.Passphrase == nil {
		return "", errors.New("keyring passphrase needed: set LINEAGED_KEYRING_PASSPHRASE, pass --passphrase-file, or run in a terminal")
	}
	check, err := os.ReadFile(filepath.Join(k.dir, checkFile))
	isNew := errors.Is(err, os.ErrNotExist)
	if err != nil && !isNew {
		return "", fmt.Errorf("failed to read keyring: %w", err)
	}
	if isNew && !creating {
		return "", fmt.Errorf("keyring %s is empty", k.dir)
	}
	pass, err := k.opts.Passphrase(isNew)
	if err != nil {
		return "", err
	}
	if isNew {
		if len(pass) < MinPassphraseLen {
			return "", fmt.Errorf("passphrase must be at least %d characters", MinPassphraseLen)
		}
		blob, err := encrypt([]byte(checkPlaintext), pass)
		if err != nil {
			return "", err
		}
		if err := writeAtomic(filepath.Join(k.dir, checkFile), blob, 0o600); err != nil {
			return "", err
		}
	} else if plain, err := decrypt(check, pass); err != nil || string(plain) != checkPlaintext {
		return "", ErrWrongPassphrase
	}
	k.pass = &pass
	return pass, nil
}

func encrypt(plain []byte, pass string) ([]byte, error) {
	r, err := age.NewScryptRecipient(pass)
	if err != nil {
		return nil, fmt.Errorf("failed to set up encryption: %w", err)
	}
	r.SetWorkFactor(ScryptWorkFactor)
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := age.Encrypt(aw, r)
	if err != nil {
		return nil, fmt.Errorf("failed to encrypt: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("failed to encrypt: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("failed to encrypt: %w", err)
	}
	if err := aw.Close(); err != nil {
		return nil, fmt.Errorf("failed to encrypt: %w", err)
	}
	return buf.Bytes(), nil
}

func decrypt(blob []byte, pass string) ([]byte, error) {
	id, err := age.NewScryptIdentity(pass)
	if err != nil {
		return nil, fmt.Errorf("failed to set up decryption: %w", err)
	}
	r, err := age.Decrypt(armor.NewReader(bytes.NewReader(blob)), id)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return nil, ErrWrongPassphrase
		}
		return nil, fmt.Errorf("failed to decrypt: %w", err)
	}
	plain, err := io.ReadAll(io.LimitReader(r, 1<<16))
	if err != nil {
		return nil, fmt.Errorf("failed to decrypt: %w", err)
	}
	return plain, nil
}

// writeAtomic writes a file so that it either fully exists or not at all.
func writeAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", filepath.Dir(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	err = errors.Join(tmp.Chmod(mode), writeSync(tmp, data), tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	return nil
}

func writeSync(f *os.File, data []byte) error {
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Sync()
}

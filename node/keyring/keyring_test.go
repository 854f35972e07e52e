package keyring

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
)

// TestMain doubles as an external signer: with LINEAGED_TEST_SIGNER_KEY set
// the test binary reads stdin and prints a hex signature, like a KMS shim.
func TestMain(m *testing.M) {
	if spec := os.Getenv("LINEAGED_TEST_SIGNER_KEY"); spec != "" {
		typ, keyHex, _ := strings.Cut(spec, ":")
		t, _ := keys.ParseType(typ)
		b, _ := hex.DecodeString(keyHex)
		priv, err := keys.PrivateKeyFromBytes(t, b)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		msg, _ := io.ReadAll(os.Stdin)
		sig, _ := priv.Sign(msg)
		fmt.Println(hex.EncodeToString(sig))
		os.Exit(0)
	}
	ScryptWorkFactor = 10 // keep tests fast; production uses 18
	os.Exit(m.Run())
}

func fixedPass(p string) Options {
	return Options{Passphrase: func(bool) (string, error) { return p, nil }}
}

func TestAddListShowDelete(t *testing.T) {
	dir := t.TempDir()
	kr := Open(dir, fixedPass("correct horse"))
	for i, typ := range []keysv1.KeyType{keysv1.KeyType_KEY_TYPE_ED25519, keysv1.KeyType_KEY_TYPE_P256, keysv1.KeyType_KEY_TYPE_SECP256K1} {
		name := fmt.Sprintf("k%d", i)
		info, err := kr.Add(name, typ)
		if err != nil {
			t.Fatal(err)
		}
		if info.Type != keys.TypeName(typ) || !strings.HasPrefix(info.Address, "lin1") {
			t.Fatalf("info = %+v", info)
		}
		// Signing works and verifies against the stored public key.
		s, err := Open(dir, fixedPass("correct horse")).Signer(name, "")
		if err != nil {
			t.Fatal(err)
		}
		sig, err := s.Sign([]byte("m"))
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := info.Public()
		if err := keys.Verify(pub, []byte("m"), sig); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := kr.Add("k0", keysv1.KeyType_KEY_TYPE_ED25519); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate Add = %v", err)
	}
	if _, err := kr.Add("../evil", keysv1.KeyType_KEY_TYPE_ED25519); err == nil {
		t.Fatal("path-like name accepted")
	}
	list, err := kr.List()
	if err != nil || len(list) != 3 || list[0].Name != "k0" || list[2].Name != "k2" {
		t.Fatalf("List = %v, %v", list, err)
	}
	if err := kr.Delete("k1"); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Show("k1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Show deleted = %v", err)
	}
	if err := kr.Delete("k1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete twice = %v", err)
	}
}

func TestEncryptedAtRest(t *testing.T) {
	dir := t.TempDir()
	kr := Open(dir, fixedPass("correct horse"))
	if _, err := kr.Add("alice", keysv1.KeyType_KEY_TYPE_ED25519); err != nil {
		t.Fatal(err)
	}
	priv, err := kr.PrivateKey("alice")
	if err != nil {
		t.Fatal(err)
	}
	blob, _ := os.ReadFile(filepath.Join(dir, "alice.key"))
	if bytes.Contains(blob, []byte(hex.EncodeToString(priv.Bytes()))) || !bytes.HasPrefix(blob, []byte("-----BEGIN AGE ENCRYPTED FILE-----")) {
		t.Fatalf("key file is not encrypted:\n%s", blob)
	}
	for _, f := range []string{"alice.key", "alice.info.json", "keyring.check"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s mode = %v, %v", f, st.Mode(), err)
		}
	}
	if _, err := Open(dir, fixedPass("wrong horse")).PrivateKey("alice"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase = %v", err)
	}
	// A second key under another passphrase is refused, not silently split.
	if _, err := Open(dir, fixedPass("other passphrase")).Add("bob", keysv1.KeyType_KEY_TYPE_ED25519); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Add with other passphrase = %v", err)
	}
	if _, err := Open(t.TempDir(), fixedPass("short")).Add("x", keysv1.KeyType_KEY_TYPE_ED25519); err == nil {
		t.Fatal("short passphrase accepted for a new keyring")
	}
	if _, err := Open(dir, Options{}).PrivateKey("alice"); err == nil || !strings.Contains(err.Error(), "LINEAGED_KEYRING_PASSPHRASE") {
		t.Fatalf("no passphrase source = %v", err)
	}
}

func TestExportImport(t *testing.T) {
	src := Open(t.TempDir(), fixedPass("source pass"))
	info, _ := src.Add("alice", keysv1.KeyType_KEY_TYPE_SECP256K1)
	armored, err := src.Export("alice", "transport pass")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Export("alice", "short"); err == nil {
		t.Fatal("short export passphrase accepted")
	}
	dst := Open(t.TempDir(), fixedPass("destination pass"))
	if _, err := dst.ImportArmored("alice2", armored, "wrong pass!"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("import with wrong passphrase = %v", err)
	}
	got, err := dst.ImportArmored("alice2", armored, "transport pass")
	if err != nil {
		t.Fatal(err)
	}
	if got.PublicKey != info.PublicKey || got.Address != info.Address {
		t.Fatalf("imported %+v, exported %+v", got, info)
	}
}

func TestDevKeyringWarnsAndIsPlain(t *testing.T) {
	dir := t.TempDir()
	var warn bytes.Buffer
	kr, err := CreateDev(dir, &warn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Add("dev", keysv1.KeyType_KEY_TYPE_ED25519); err != nil {
		t.Fatal(err)
	}
	warn.Reset()
	again := Open(dir, Options{Warn: &warn})
	if !again.Dev() || !strings.Contains(warn.String(), "DEV-ONLY") {
		t.Fatalf("dev keyring opened without warning: %q", warn.String())
	}
	if _, err := again.PrivateKey("dev"); err != nil {
		t.Fatal(err)
	}
	// An encrypted keyring is never converted.
	enc := t.TempDir()
	Open(enc, fixedPass("correct horse")).Add("k", keysv1.KeyType_KEY_TYPE_ED25519)
	if _, err := CreateDev(enc, io.Discard); err == nil {
		t.Fatal("encrypted keyring turned into a dev keyring")
	}
}

func TestExternalSigner(t *testing.T) {
	self, _ := os.Executable()
	for _, typ := range []keysv1.KeyType{keysv1.KeyType_KEY_TYPE_ED25519, keysv1.KeyType_KEY_TYPE_SECP256K1} {
		t.Run(keys.TypeName(typ), func(t *testing.T) {
			priv, _ := keys.Generate(typ)
			kr := Open(t.TempDir(), Options{})
			cmd := fmt.Sprintf("LINEAGED_TEST_SIGNER_KEY=%s:%x %q", keys.TypeName(typ), priv.Bytes(), self)
			if _, err := kr.AddExternal("hsm", priv.Public(), cmd); err != nil {
				t.Fatal(err)
			}
			s, err := kr.Signer("hsm", "")
			if err != nil {
				t.Fatal(err)
			}
			sig, err := s.Sign([]byte("body"))
			if err != nil {
				t.Fatal(err)
			}
			if err := keys.Verify(priv.Public(), []byte("body"), sig); err != nil {
				t.Fatal(err)
			}
			if _, err := kr.PrivateKey("hsm"); !errors.Is(err, ErrExternal) {
				t.Fatalf("PrivateKey(external) = %v", err)
			}
		})
	}
	t.Run("wrong key is caught", func(t *testing.T) {
		priv, _ := keys.Generate(keysv1.KeyType_KEY_TYPE_ED25519)
		other, _ := keys.Generate(keysv1.KeyType_KEY_TYPE_ED25519)
		s := &ExternalSigner{Key: priv.Public(), Command: fmt.Sprintf("LINEAGED_TEST_SIGNER_KEY=ed25519:%x %q", other.Bytes(), self)}
		if _, err := s.Sign([]byte("x")); err == nil || !strings.Contains(err.Error(), "does not verify") {
			t.Fatalf("Sign = %v", err)
		}
	})
	t.Run("failing command", func(t *testing.T) {
		priv, _ := keys.Generate(keysv1.KeyType_KEY_TYPE_ED25519)
		s := &ExternalSigner{Key: priv.Public(), Command: "echo vault unreachable >&2; exit 7"}
		if _, err := s.Sign([]byte("x")); err == nil || !strings.Contains(err.Error(), "vault unreachable") {
			t.Fatalf("Sign = %v", err)
		}
	})
}

// TestExternalSignerOpenSSLP256 uses openssl as a stand-in for a key
// service returning DER ECDSA signatures over SHA-256.
func TestExternalSignerOpenSSLP256(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	dir := t.TempDir()
	priv, _ := keys.Generate(keysv1.KeyType_KEY_TYPE_P256)
	ek, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), priv.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(ek)
	if err != nil {
		t.Fatal(err)
	}
	pemPath := filepath.Join(dir, "k.pem")
	os.WriteFile(pemPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
	s := &ExternalSigner{Key: priv.Public(), Command: "openssl dgst -sha256 -sign " + pemPath}
	for i := 0; i < 5; i++ { // openssl's S is high half the time
		sig, err := s.Sign([]byte(fmt.Sprint("msg", i)))
		if err != nil {
			t.Fatal(err)
		}
		if err := keys.Verify(priv.Public(), []byte(fmt.Sprint("msg", i)), sig); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRotatedKeys: after a rotation the new key signs for the account's
// address, through an export and import too, and the old key is marked
// and refuses to sign.
func TestRotatedKeys(t *testing.T) {
	kr := Open(t.TempDir(), fixedPass("correct horse"))
	old, _ := kr.Add("old", keysv1.KeyType_KEY_TYPE_ED25519)
	if _, err := kr.Add("new", keysv1.KeyType_KEY_TYPE_P256); err != nil {
		t.Fatal(err)
	}
	if err := kr.SetAddress("new", old.Address); err != nil {
		t.Fatal(err)
	}
	if err := kr.MarkRotated("old", "new"); err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Signer("old", ""); err == nil || !strings.Contains(err.Error(), "rotated out") || !strings.Contains(err.Error(), "use key new") {
		t.Fatalf("Signer of a rotated-out key = %v", err)
	}
	s, err := kr.Signer("new", "")
	if err != nil || s.Address() != old.Address {
		t.Fatalf("the new key signs for %v (%v), want %s", s, err, old.Address)
	}
	armored, err := kr.Export("new", "transport pass")
	if err != nil {
		t.Fatal(err)
	}
	dst := Open(t.TempDir(), fixedPass("destination pass"))
	got, err := dst.ImportArmored("moved", armored, "transport pass")
	if err != nil {
		t.Fatal(err)
	}
	if got.Address != old.Address {
		t.Fatalf("imported key signs for %s, want the account's %s", got.Address, old.Address)
	}
}

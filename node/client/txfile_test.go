package client

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/txv1"
	"github.com/lineageledger/lineaged/node/keyring"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

// keySigner signs with a private key held in memory.
type keySigner struct{ priv *keys.PrivateKey }

func (s keySigner) Address() string                 { return keys.Address(s.priv.Public()) }
func (s keySigner) Public() *keysv1.PublicKey       { return s.priv.Public() }
func (s keySigner) Sign(msg []byte) ([]byte, error) { return s.priv.Sign(msg) }

var _ keyring.Signer = keySigner{}

func newKeySigner(t *testing.T, typ keysv1.KeyType) keySigner {
	t.Helper()
	priv, err := keys.Generate(typ)
	if err != nil {
		t.Fatal(err)
	}
	return keySigner{priv}
}

func testTxFile(t *testing.T, signer string) *TxFile {
	t.Helper()
	body, err := NewBody("lineage-test", signer, 7, &licensespb.MsgRevokeGrant{GrantId: "grant-1", Reason: "ended"}, TxOptions{Memo: "ticket 42", TimeoutHeight: 900})
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewTxFile(body)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestTxFileRoundTrip: a file survives writing and reading, indented or
// compact or reformatted, unsigned and signed; its digest is the SHA-256 of
// the domain tag and the body bytes; and the signed transaction is one the
// chain decodes, with a signature over exactly those bytes.
func TestTxFileRoundTrip(t *testing.T) {
	for _, typ := range []keysv1.KeyType{keysv1.KeyType_KEY_TYPE_ED25519, keysv1.KeyType_KEY_TYPE_P256, keysv1.KeyType_KEY_TYPE_SECP256K1} {
		t.Run(keys.TypeName(typ), func(t *testing.T) {
			s := newKeySigner(t, typ)
			f := testTxFile(t, s.Address())
			want := sha256.Sum256(append([]byte("lineage-ledger/tx/v1\x00"), f.BodyBytes...))
			if f.SignBytesDigest() != hex.EncodeToString(want[:]) {
				t.Errorf("sign bytes digest %s, want %x", f.SignBytesDigest(), want)
			}
			if _, err := f.Raw(); !errors.Is(err, ErrUnsigned) {
				t.Errorf("an unsigned file gave a transaction: %v", err)
			}
			reread := func(f *TxFile) *TxFile {
				t.Helper()
				var out *TxFile
				for _, indent := range []bool{true, false} {
					data, err := f.Marshal(indent)
					if err != nil {
						t.Fatal(err)
					}
					if n := bytes.Count(bytes.TrimSpace(data), []byte("\n")); indent == (n == 0) {
						t.Errorf("indent=%v gave %d line breaks", indent, n)
					}
					got, err := ParseTxFile(data)
					if err != nil {
						t.Fatalf("the file written does not parse: %v\n%s", err, data)
					}
					if !proto.Equal(got.Body, f.Body) || !bytes.Equal(got.BodyBytes, f.BodyBytes) || !bytes.Equal(got.Signature, f.Signature) {
						t.Fatalf("read back %+v, wrote %+v", got, f)
					}
					// Another program's spelling of the same content: keys
					// sorted, other whitespace.
					var generic map[string]any
					if err := json.Unmarshal(data, &generic); err != nil {
						t.Fatal(err)
					}
					again, _ := json.MarshalIndent(generic, "", "\t")
					if _, err := ParseTxFile(again); err != nil {
						t.Fatalf("reformatted, the file does not parse: %v", err)
					}
					out = got
				}
				return out
			}
			unsigned := reread(f)
			if err := unsigned.Sign(s); err != nil {
				t.Fatal(err)
			}
			signed := reread(unsigned)
			raw, err := signed.Raw()
			if err != nil {
				t.Fatal(err)
			}
			var tx txv1.Tx
			if err := proto.Unmarshal(raw, &tx); err != nil || !bytes.Equal(tx.Body, f.BodyBytes) {
				t.Fatalf("the transaction does not carry the body bytes: %v", err)
			}
			if err := keys.Verify(s.Public(), app.SignBytes(tx.Body), tx.Signature); err != nil {
				t.Errorf("the signature does not verify: %v", err)
			}
			hash := app.TxHash(raw)
			if h, _ := signed.TxHash(); h != strings.ToUpper(hex.EncodeToString(hash[:])) {
				t.Errorf("tx hash %s, want %X", h, hash)
			}
		})
	}
}

// TestTxFileSignRefusesOtherKeys: only the body's signer signs.
func TestTxFileSignRefusesOtherKeys(t *testing.T) {
	owner, other := newKeySigner(t, keysv1.KeyType_KEY_TYPE_ED25519), newKeySigner(t, keysv1.KeyType_KEY_TYPE_ED25519)
	f := testTxFile(t, owner.Address())
	if err := f.Sign(other); !errors.Is(err, ErrWrongSigner) {
		t.Fatalf("signing with another key: %v", err)
	}
	if f.Signature != nil {
		t.Fatal("a refused signer left a signature")
	}
}

// TestTxFileRefusesTampering: every way of making the parts of a file
// disagree is refused, so that what a person reads is what gets signed.
func TestTxFileRefusesTampering(t *testing.T) {
	s := newKeySigner(t, keysv1.KeyType_KEY_TYPE_ED25519)
	f := testTxFile(t, s.Address())
	unsigned, err := f.Marshal(false)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Sign(s); err != nil {
		t.Fatal(err)
	}
	signed, err := f.Marshal(false)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(data []byte, change func(m map[string]any)) []byte {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		change(m)
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	body := func(m map[string]any) map[string]any { return m["body"].(map[string]any) }
	// A body with its fields out of order: the same body, not canonical.
	reordered := func() []byte {
		b := protowire.AppendTag(nil, 2, protowire.BytesType)
		b = protowire.AppendString(b, f.Body.Signer)
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, f.Body.ChainId)
		return append(b, kit.Marshal(&txv1.TxBody{Sequence: f.Body.Sequence, TimeoutHeight: f.Body.TimeoutHeight, Memo: f.Body.Memo, Msg: f.Body.Msg})...)
	}()
	otherBody := func() []byte {
		b := proto.Clone(f.Body).(*txv1.TxBody)
		b.Memo = "another memo"
		return kit.Marshal(b)
	}()
	digestOf := func(b []byte) string { d := sha256.Sum256(app.SignBytes(b)); return hex.EncodeToString(d[:]) }

	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"memo edited in the body shown", edit(unsigned, func(m map[string]any) { body(m)["memo"] = "ticket 43" }), "the body shown is not the body in body_bytes"},
		{"signer edited in the body shown", edit(signed, func(m map[string]any) { body(m)["signer"] = "lin1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq" }), "body"},
		{"message swapped in the body shown", edit(unsigned, func(m map[string]any) {
			delete(body(m), "revoke_grant")
			body(m)["revoke_model"] = map[string]any{"name": "dev/bot", "version": "1.0"}
		}), "the body shown is not the body in body_bytes"},
		{"body bytes replaced", edit(unsigned, func(m map[string]any) {
			m["body_bytes"] = base64.StdEncoding.EncodeToString(otherBody)
			m["sign_bytes_sha256"] = digestOf(otherBody)
		}), "the body shown is not the body in body_bytes"},
		{"body bytes not canonical", edit(unsigned, func(m map[string]any) {
			m["body_bytes"] = base64.StdEncoding.EncodeToString(reordered)
			m["sign_bytes_sha256"] = digestOf(reordered)
		}), "not canonically encoded"},
		{"body bytes cut", edit(unsigned, func(m map[string]any) {
			m["body_bytes"] = base64.StdEncoding.EncodeToString(f.BodyBytes[:len(f.BodyBytes)-3])
		}), "body_bytes"},
		{"digest of something else", edit(unsigned, func(m map[string]any) { m["sign_bytes_sha256"] = strings.Repeat("ab", 32) }), "sign_bytes_sha256 is"},
		{"base64 with a line break", edit(unsigned, func(m map[string]any) {
			b := m["body_bytes"].(string)
			m["body_bytes"] = b[:4] + "\n" + b[4:]
		}), "base64"},
		{"signature flipped", edit(signed, func(m map[string]any) {
			sig, _ := base64.StdEncoding.DecodeString(m["signature"].(string))
			sig[0] ^= 1
			m["signature"] = base64.StdEncoding.EncodeToString(sig)
		}), "tx_hash is"},
		{"hash without signature", edit(unsigned, func(m map[string]any) { m["tx_hash"] = "AB" }), "tx_hash without a signature"},
		{"unknown field", edit(unsigned, func(m map[string]any) { m["note"] = "x" }), `unknown field "note"`},
		{"field in another case", edit(unsigned, func(m map[string]any) { m["Body_Bytes"] = m["body_bytes"]; delete(m, "body_bytes") }), `unknown field "Body_Bytes"`},
		{"unknown body field", edit(unsigned, func(m map[string]any) { body(m)["fee"] = "1" }), "body"},
		{"key twice", append([]byte(`{"memo":1,`), bytes.Replace(unsigned, []byte(`{"format"`), []byte(`"body":{},"format"`), 1)...), "appears twice"},
		{"another format", edit(unsigned, func(m map[string]any) { m["format"] = "lineage-ledger/tx-file/v2" }), `format "lineage-ledger/tx-file/v2"`},
		{"not a transaction file", []byte(`{"receipt":"abc"}`), "not a transaction file"},
		{"two documents", append(append([]byte{}, unsigned...), unsigned...), "data after the JSON document"},
		{"not JSON", []byte("tx: abc"), "not a JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseTxFile(tc.data)
			if !errors.Is(err, ErrTxFile) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseTxFile = %v, want %v mentioning %q", err, ErrTxFile, tc.want)
			}
		})
	}
}

// TestNewTxFileRefusesBadBodies: a body the chain would refuse is not
// written out to be signed.
func TestNewTxFileRefusesBadBodies(t *testing.T) {
	s := newKeySigner(t, keysv1.KeyType_KEY_TYPE_ED25519)
	for name, body := range map[string]*txv1.TxBody{
		"no message": {ChainId: "c", Signer: s.Address()},
		"bad signer": func() *txv1.TxBody {
			b, _ := NewBody("c", "alice", 0, &licensespb.MsgRevokeGrant{GrantId: "g"}, TxOptions{})
			return b
		}(),
	} {
		if _, err := NewTxFile(body); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

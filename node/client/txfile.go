package client

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/txv1"
	"github.com/lineageledger/lineaged/node/keyring"
	"github.com/lineageledger/lineaged/x/kit"
	"github.com/lineageledger/lineaged/x/kit/keys"
)

// TxFileFormat names the format of a [TxFile] document.
const TxFileFormat = "lineage-ledger/tx-file/v1"

// Errors of transaction files.
var (
	// ErrTxFile means the data is not a transaction file this binary
	// reads, or one whose parts disagree (the body shown is not the body
	// signed, a digest does not match).
	ErrTxFile = errors.New("invalid transaction file")
	// ErrWrongSigner means a key other than the body's signer was asked
	// to sign it.
	ErrWrongSigner = errors.New("the key does not sign for the transaction's signer")
	// ErrUnsigned means a transaction file holds no signature yet.
	ErrUnsigned = errors.New("the transaction is not signed")
)

// TxFile is a transaction on its way from the machine that builds it to
// the one that signs it (which needs no network) and on to the one that
// broadcasts it: `lineaged tx ... --generate-only`, `lineaged tx sign` and
// `lineaged tx broadcast` pass it along as a JSON document:
//
//	{
//	  "format": "lineage-ledger/tx-file/v1",
//	  "body": { protobuf JSON of the TxBody: chain_id, signer, sequence, ... },
//	  "body_bytes": "<base64 of the exact encoded body, what is signed>",
//	  "sign_bytes_sha256": "<hex SHA-256 of the domain tag and the body bytes>",
//	  "signature": "<base64>",   once signed
//	  "tx_hash": "<hex>"         once signed: the hash the chain will index it under
//	}
//
// The body bytes are what the signature covers; "body" shows them for
// people and must decode to exactly the same body, and the digest must be
// that of the sign bytes, or the file is refused ([ErrTxFile]). The digest
// is what an external signer sees as LINEAGED_SIGN_DIGEST, and what ECDSA
// key services sign, so a person can compare it on both machines.
type TxFile struct {
	// Body is the decoded body.
	Body *txv1.TxBody
	// BodyBytes is the canonical encoding of Body, which the signature
	// covers.
	BodyBytes []byte
	// Signature is nil until the file is signed.
	Signature []byte
}

// txFileJSON is the document's shape.
type txFileJSON struct {
	Format          string          `json:"format"`
	Body            json.RawMessage `json:"body"`
	BodyBytes       []byte          `json:"body_bytes"`
	SignBytesSHA256 string          `json:"sign_bytes_sha256"`
	Signature       []byte          `json:"signature,omitempty"`
	TxHash          string          `json:"tx_hash,omitempty"`
}

// NewTxFile encodes body canonically into an unsigned transaction file,
// refusing a body the chain would refuse whatever its signature.
func NewTxFile(body *txv1.TxBody) (*TxFile, error) {
	b := kit.Marshal(body)
	decoded, err := app.DecodeTxBody(b)
	if err != nil {
		return nil, fmt.Errorf("failed to build the transaction: %w", err)
	}
	return &TxFile{Body: decoded, BodyBytes: b}, nil
}

// SignBytes is what the signer signs: the domain tag and the body bytes.
func (f *TxFile) SignBytes() []byte { return app.SignBytes(f.BodyBytes) }

// SignBytesDigest is the hex SHA-256 of [TxFile.SignBytes].
func (f *TxFile) SignBytesDigest() string {
	d := sha256.Sum256(f.SignBytes())
	return hex.EncodeToString(d[:])
}

// Sign signs the body with s, which must sign for the body's signer; the
// signature is checked against s's public key before it is kept.
func (f *TxFile) Sign(s keyring.Signer) error {
	if s.Address() != f.Body.Signer {
		return fmt.Errorf("%w: the transaction is to be signed by %s, the key signs for %s", ErrWrongSigner, f.Body.Signer, s.Address())
	}
	msg := f.SignBytes()
	sig, err := s.Sign(msg)
	if err != nil {
		return fmt.Errorf("failed to sign the transaction: %w", err)
	}
	if pub := s.Public(); pub != nil {
		if err := keys.Verify(pub, msg, sig); err != nil {
			return fmt.Errorf("failed to sign the transaction: the signature does not verify: %w", err)
		}
	}
	f.Signature = sig
	return nil
}

// Raw is the signed transaction, as it is broadcast.
func (f *TxFile) Raw() ([]byte, error) {
	if len(f.Signature) == 0 {
		return nil, ErrUnsigned
	}
	return kit.Marshal(&txv1.Tx{Body: f.BodyBytes, Signature: f.Signature}), nil
}

// TxHash is the hash the chain will index the signed transaction under,
// upper-case hex as CometBFT's RPC shows it.
func (f *TxFile) TxHash() (string, error) {
	raw, err := f.Raw()
	if err != nil {
		return "", err
	}
	h := app.TxHash(raw)
	return hashString(h[:]), nil
}

// bodyJSON renders the body for people: protobuf JSON with the proto field
// names and every envelope field present, zero or not.
func bodyJSON(body *txv1.TxBody) ([]byte, error) {
	return protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}.Marshal(body)
}

// Marshal writes the document: indented for people, or one compact line.
func (f *TxFile) Marshal(indent bool) ([]byte, error) {
	body, err := bodyJSON(f.Body)
	if err != nil {
		return nil, fmt.Errorf("failed to encode the body: %w", err)
	}
	doc := txFileJSON{
		Format:          TxFileFormat,
		Body:            body,
		BodyBytes:       f.BodyBytes,
		SignBytesSHA256: f.SignBytesDigest(),
		Signature:       f.Signature,
	}
	if len(f.Signature) > 0 {
		if doc.TxHash, err = f.TxHash(); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("failed to encode the transaction file: %w", err)
	}
	return buf.Bytes(), nil
}

// txFileFields are the document's keys, exactly as written.
var txFileFields = map[string]bool{
	"format": true, "body": true, "body_bytes": true, "sign_bytes_sha256": true, "signature": true, "tx_hash": true,
}

// ParseTxFile reads a transaction file and checks that its parts agree:
// the body bytes are a body the chain accepts (canonical, one known
// message, no unknown fields), "body" decodes to exactly that body, the
// digest is that of its sign bytes, and a signed file's hash is that of
// its transaction. Whitespace and the order of keys are free; unknown or
// repeated keys are refused.
func ParseTxFile(data []byte) (*TxFile, error) {
	top, err := topLevelKeys(data)
	if err != nil {
		return nil, err
	}
	var format string
	if raw, ok := top["format"]; !ok || json.Unmarshal(raw, &format) != nil {
		return nil, fmt.Errorf("%w: no \"format\" field: not a transaction file", ErrTxFile)
	}
	if format != TxFileFormat {
		return nil, fmt.Errorf("%w: format %q, this binary reads %q", ErrTxFile, format, TxFileFormat)
	}
	for k := range top {
		if !txFileFields[k] {
			return nil, fmt.Errorf("%w: unknown field %q", ErrTxFile, k)
		}
	}
	for _, k := range []string{"body", "body_bytes", "sign_bytes_sha256"} {
		if _, ok := top[k]; !ok {
			return nil, fmt.Errorf("%w: no %q field", ErrTxFile, k)
		}
	}
	var doc txFileJSON
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTxFile, err)
	}
	for _, b := range []struct {
		name string
		raw  json.RawMessage
		val  []byte
	}{{"body_bytes", top["body_bytes"], doc.BodyBytes}, {"signature", top["signature"], doc.Signature}} {
		if b.raw == nil {
			continue
		}
		var s string
		if err := json.Unmarshal(b.raw, &s); err != nil || base64.StdEncoding.EncodeToString(b.val) != s {
			return nil, fmt.Errorf("%w: %q is not padded standard base64", ErrTxFile, b.name)
		}
	}
	body, err := app.DecodeTxBody(doc.BodyBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: body_bytes: %v", ErrTxFile, err)
	}
	var shown txv1.TxBody
	if err := protojson.Unmarshal(doc.Body, &shown); err != nil {
		return nil, fmt.Errorf("%w: body: %v", ErrTxFile, err)
	}
	if !proto.Equal(&shown, body) {
		return nil, fmt.Errorf("%w: the body shown is not the body in body_bytes, which is what gets signed (edited after it was built?)", ErrTxFile)
	}
	f := &TxFile{Body: body, BodyBytes: doc.BodyBytes, Signature: doc.Signature}
	if got := f.SignBytesDigest(); !strings.EqualFold(doc.SignBytesSHA256, got) {
		return nil, fmt.Errorf("%w: sign_bytes_sha256 is %s, the body bytes give %s", ErrTxFile, doc.SignBytesSHA256, got)
	}
	switch {
	case len(f.Signature) == 0 && doc.TxHash != "":
		return nil, fmt.Errorf("%w: a tx_hash without a signature", ErrTxFile)
	case len(f.Signature) > 0:
		want, err := f.TxHash()
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(doc.TxHash, want) {
			return nil, fmt.Errorf("%w: tx_hash is %q, the signed transaction's is %s", ErrTxFile, doc.TxHash, want)
		}
	}
	return f, nil
}

// topLevelKeys decodes data as one JSON object with nothing after it and
// returns its members, refusing a key given twice (encoding/json would
// keep the last without a word, so a person and this parser could read
// different documents).
func topLevelKeys(data []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("%w: not a JSON object", ErrTxFile)
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: not JSON: %v", ErrTxFile, err)
		}
		key, _ := tok.(string)
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("%w: key %q appears twice", ErrTxFile, key)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%w: not JSON: %v", ErrTxFile, err)
		}
		out[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%w: not JSON: %v", ErrTxFile, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the JSON document", ErrTxFile)
	}
	return out, nil
}

// NewBody builds the body of a transaction of signer on chainID at
// sequence, carrying msg and the options' timeout and memo (their
// Sequence is ignored: sequence is the one used).
func NewBody(chainID, signer string, sequence uint64, msg proto.Message, opts TxOptions) (*txv1.TxBody, error) {
	body := &txv1.TxBody{ChainId: chainID, Signer: signer, Sequence: sequence, TimeoutHeight: opts.TimeoutHeight, Memo: opts.Memo}
	if err := app.SetMsg(body, msg); err != nil {
		return nil, err
	}
	return body, nil
}

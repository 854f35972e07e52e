package receipt

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// Format names this version of the receipt format.
const Format = "lineage-receipt/v1"

// Receipt is one verifiable answer. Byte fields are protobuf encodings,
// base64 in JSON.
type Receipt struct {
	Format  string `json:"format"`
	ChainID string `json:"chain_id"`
	// Path is the query's full gRPC method name.
	Path string `json:"path"`
	// Request is the encoded request message.
	Request []byte `json:"request"`
	// Height is the state version the query was answered from.
	Height int64 `json:"height"`
	// Answer is the encoded response message; empty when Error is set.
	Answer []byte       `json:"answer,omitempty"`
	Error  *AnswerError `json:"error,omitempty"`
	// Proofs is an encoded lineage.proof.v1.ProofBundle.
	Proofs []byte `json:"proofs"`
	// StateHeader is the encoded header at Height: its time is the clock
	// the query ran with.
	StateHeader []byte `json:"state_header"`
	// SignedHeader is the encoded signed header (header and commit) at
	// Height+1, whose app hash commits to the state at Height.
	SignedHeader []byte `json:"signed_header"`
	// Validators is the encoded validator set at Height+1.
	Validators []byte `json:"validators"`
	// TrustPath holds encoded light blocks, by ascending height, linking a
	// trust root to SignedHeader when the validator set changed.
	TrustPath [][]byte `json:"trust_path,omitempty"`
	// Checksum is "sha256:<hex>" of the receipt's canonical JSON with this
	// field empty.
	Checksum string `json:"checksum"`
}

// AnswerError is a query the application answered with an error.
type AnswerError struct {
	Codespace string `json:"codespace"`
	Code      uint32 `json:"code"`
	Log       string `json:"log"`
}

// Errors of verification, for callers that map them to exit codes.
var (
	// ErrUnusable means the input is not a receipt at all (not JSON, wrong
	// format version) or the trust root cannot be read.
	ErrUnusable = errors.New("unusable receipt")
	// ErrInvalid means the receipt does not verify.
	ErrInvalid = errors.New("invalid receipt")
)

func (r *Receipt) canonical() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("failed to encode receipt: %w", err)
	}
	return buf.Bytes(), nil // Encode ends the document with a newline
}

func (r *Receipt) checksum() (string, error) {
	c := *r
	c.Checksum = ""
	b, err := c.canonical()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// Marshal writes the receipt in its canonical form, with its checksum.
func Marshal(r *Receipt) ([]byte, error) {
	sum, err := r.checksum()
	if err != nil {
		return nil, err
	}
	r.Checksum = sum
	return r.canonical()
}

// Parse reads a receipt and insists it is exactly in canonical form.
func Parse(data []byte) (*Receipt, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Receipt
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: not a receipt: %v", ErrUnusable, err)
	}
	if r.Format != Format {
		return nil, fmt.Errorf("%w: format %q, this verifier reads %q", ErrUnusable, r.Format, Format)
	}
	want, err := r.checksum()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if r.Checksum != want {
		return nil, fmt.Errorf("%w: checksum %s does not match the content (%s)", ErrInvalid, r.Checksum, want)
	}
	canon, err := r.canonical()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if !bytes.Equal(canon, data) {
		return nil, fmt.Errorf("%w: not in canonical form (was it edited or re-formatted?)", ErrInvalid)
	}
	return &r, nil
}

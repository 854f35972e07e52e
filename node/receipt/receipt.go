package receipt

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lineageledger/lineaged/app/modules"
)

// AppVersion is the version of the application rules this verifier
// re-runs queries with: the consensus app version (Version.App) that the
// headers of a receipt it can verify name.
const AppVersion = modules.AppVersion

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

// Parse reads a receipt: the bare document, or the wrapper the receipts
// API answers with, {"receipt": "<base64 of the document>"}.
//
// What counts is the content, not its spelling: whitespace and the order of
// fields are free (a receipt piped through `jq .` still parses), and the
// checksum is recomputed over the canonical re-encoding of what was
// decoded. What would make the content ambiguous is refused: duplicate
// keys, keys that differ from a field's name only in case, unknown
// fields, base64 other than padded standard base64 with zero trailing
// bits, and anything after the document.
//
// Input that is not a JSON object naming this format is [ErrUnusable]; a
// document of this format with any defect, or whose checksum does not
// match its content, is [ErrInvalid].
func Parse(data []byte) (*Receipt, error) {
	keys, err := checkJSON(data)
	if err != nil {
		return nil, err
	}
	if len(keys) == 1 && keys[0] == wrapperKey {
		var w map[string]json.RawMessage
		if err := json.Unmarshal(data, &w); err != nil {
			return nil, fmt.Errorf("%w: not a receipt: %v", ErrUnusable, err)
		}
		var enc string
		if err := json.Unmarshal(w[wrapperKey], &enc); err != nil {
			return nil, fmt.Errorf("%w: %q of the wrapper is not a base64 string", ErrUnusable, wrapperKey)
		}
		inner, err := decodeBase64(enc)
		if err != nil {
			return nil, fmt.Errorf("%w: %q of the wrapper: %v", ErrUnusable, wrapperKey, err)
		}
		if _, err = checkJSON(inner); err != nil {
			return nil, err
		}
		data = inner
	}
	return parseBare(data)
}

// wrapperKey is the one field of the receipts API's answer.
const wrapperKey = "receipt"

func parseBare(data []byte) (*Receipt, error) {
	var top map[string]json.RawMessage
	var format string
	if err := json.Unmarshal(data, &top); err != nil || json.Unmarshal(top["format"], &format) != nil {
		return nil, fmt.Errorf("%w: not a receipt (no \"format\" field)", ErrUnusable)
	}
	if format != Format {
		return nil, fmt.Errorf("%w: format %q, this verifier reads %q", ErrUnusable, format, Format)
	}
	if err := checkFields(top); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Receipt
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	want, err := r.checksum()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if r.Checksum != want {
		return nil, fmt.Errorf("%w: checksum %s does not match the content (%s)", ErrInvalid, r.Checksum, want)
	}
	return &r, nil
}

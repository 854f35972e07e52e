package receipt

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// indent re-formats a JSON document as `jq .` does: two-space indents,
// fields in their order.
func indent(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, data, "", "  "); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sortKeys re-formats a JSON document as `jq -S .` does: keys sorted.
func sortKeys(t *testing.T, data []byte) []byte {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(v, "", "    ") // encoding/json sorts map keys
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReformattedVerifies: verification depends on what is proven, not on
// whitespace or the order of fields.
func TestReformattedVerifies(t *testing.T) {
	data, trust := fixture(t)
	for name, doc := range map[string][]byte{
		"canonical":       data,
		"indented":        indent(t, data),
		"keys sorted":     sortKeys(t, data),
		"one line, no nl": bytes.TrimSpace(data),
		"crlf":            bytes.ReplaceAll(indent(t, data), []byte("\n"), []byte("\r\n")),
	} {
		t.Run(name, func(t *testing.T) {
			r, err := Parse(doc)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if _, err := Verify(context.Background(), r, trust); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			// Marshal restores the canonical form.
			again, err := Marshal(r)
			if err != nil || !bytes.Equal(again, data) {
				t.Fatalf("Marshal(Parse(reformatted)) is not the canonical receipt")
			}
		})
	}
}

// TestWrapped: the receipts API answers {"receipt": "<base64>"}; Parse
// takes that as well as the bare receipt.
func TestWrapped(t *testing.T) {
	data, trust := fixture(t)
	wrapped, _ := json.Marshal(map[string]string{"receipt": base64.StdEncoding.EncodeToString(data)})
	r, err := Parse(wrapped)
	if err != nil {
		t.Fatalf("Parse(wrapper): %v", err)
	}
	if _, err := Verify(context.Background(), r, trust); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	for name, doc := range map[string]string{
		"not base64":      `{"receipt":"%%%"}`,
		"not a receipt":   `{"receipt":"` + base64.StdEncoding.EncodeToString([]byte(`{"a":1}`)) + `"}`,
		"wrapper twice":   `{"receipt":"` + base64.StdEncoding.EncodeToString(wrapped) + `"}`,
		"another field":   `{"receipt":"` + base64.StdEncoding.EncodeToString(data) + `","x":1}`,
		"receipt not str": `{"receipt":1}`,
	} {
		if _, err := Parse([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestStrictJSON: what encoding/json would let through unnoticed is
// refused: duplicate keys, keys in another case, unknown fields,
// non-canonical base64, trailing data.
func TestStrictJSON(t *testing.T) {
	data, _ := fixture(t)
	doc := string(bytes.TrimSpace(data))
	body := strings.TrimSuffix(strings.TrimPrefix(doc, "{"), "}")
	var r Receipt
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	req := base64.StdEncoding.EncodeToString(r.Request)
	// A last base64 character whose unused bits are set decodes to the
	// same bytes with a lenient decoder.
	last := req[strings.IndexByte(req, '=')-1]
	lenient := strings.Replace(req, string(last)+"=", string(last+1)+"=", 1)
	if b, err := base64.StdEncoding.DecodeString(lenient); err != nil || !bytes.Equal(b, r.Request) {
		t.Fatalf("test setup: %q is not a lenient spelling of the request", lenient)
	}
	cases := map[string]struct {
		doc string
		err error
	}{
		"duplicate key":      {`{"height":4,` + body + `}`, ErrInvalid},
		"duplicate in error": {`{` + body + `,"error":{"code":1,"code":2}}`, ErrInvalid},
		"key in other case":  {strings.Replace(doc, `"height"`, `"Height"`, 1), ErrInvalid},
		"unknown field":      {`{"extra":1,` + body + `}`, ErrInvalid},
		"lenient base64":     {strings.Replace(doc, `"`+req+`"`, `"`+lenient+`"`, 1), ErrInvalid},
		"newline in base64":  {strings.Replace(doc, `"`+req+`"`, `"`+req[:4]+`\n`+req[4:]+`"`, 1), ErrInvalid},
		"trailing data":      {doc + `{}`, ErrUnusable},
		"wrong type":         {strings.Replace(doc, `"height":4`, `"height":"4"`, 1), ErrInvalid},
		"not json":           {`lineage`, ErrUnusable},
		"not an object":      {`[1]`, ErrUnusable},
		"other format":       {strings.Replace(doc, Format, "lineage-receipt/v2", 1), ErrUnusable},
		"no format":          {`{"require_signature":true}`, ErrUnusable},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(c.doc)); !errors.Is(err, c.err) {
				t.Fatalf("Parse = %v, want %v", err, c.err)
			}
		})
	}
}

// TestAnyByteChanged: in a reformatted receipt, one changed byte anywhere
// fails (Parse or Verify); a change of content with a fresh checksum, so
// that only the proofs and signatures can catch it, fails too.
func TestAnyByteChanged(t *testing.T) {
	data, trust := fixture(t)
	ctx := context.Background()
	doc := indent(t, data)
	for _, i := range flipPositions(doc) {
		bad := bytes.Clone(doc)
		bad[i] ^= 0x01
		if r, err := Parse(bad); err == nil {
			if _, err := Verify(ctx, r, trust); err == nil {
				t.Fatalf("byte %d (%q) flipped: still verifies", i, doc[i])
			}
		}
	}

	orig, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte, i int) []byte { b = bytes.Clone(b); b[i%len(b)] ^= 0x01; return b }
	cases := map[string]func(r *Receipt){
		"request first byte":    func(r *Receipt) { r.Request = flip(r.Request, 0) },
		"request last byte":     func(r *Receipt) { r.Request = flip(r.Request, len(r.Request)-1) },
		"answer":                func(r *Receipt) { r.Answer = flip(r.Answer, 7) },
		"answer dropped":        func(r *Receipt) { r.Answer = nil },
		"answer byte added":     func(r *Receipt) { r.Answer = append(bytes.Clone(r.Answer), 0) },
		"proofs":                func(r *Receipt) { r.Proofs = flip(r.Proofs, len(r.Proofs)/2) },
		"proofs last byte":      func(r *Receipt) { r.Proofs = flip(r.Proofs, len(r.Proofs)-1) },
		"state header":          func(r *Receipt) { r.StateHeader = flip(r.StateHeader, 20) },
		"state header time":     func(r *Receipt) { r.StateHeader = flip(r.StateHeader, 30) },
		"signed header":         func(r *Receipt) { r.SignedHeader = flip(r.SignedHeader, 40) },
		"signed header sig":     func(r *Receipt) { r.SignedHeader = flip(r.SignedHeader, len(r.SignedHeader)-5) },
		"validators":            func(r *Receipt) { r.Validators = flip(r.Validators, 10) },
		"validators last byte":  func(r *Receipt) { r.Validators = flip(r.Validators, len(r.Validators)-1) },
		"height":                func(r *Receipt) { r.Height ^= 1 },
		"path":                  func(r *Receipt) { r.Path = strings.Replace(r.Path, "Check", "Chedk", 1) },
		"chain id":              func(r *Receipt) { r.ChainID = "node-tesu" },
		"error claimed":         func(r *Receipt) { r.Error = &AnswerError{Codespace: "gate", Code: 1, Log: "x"} },
		"trust path entry":      func(r *Receipt) { r.TrustPath = [][]byte{r.SignedHeader} },
		"format (unusable)":     func(r *Receipt) { r.Format = "lineage-receipt/v0" },
		"request byte appended": func(r *Receipt) { r.Request = append(bytes.Clone(r.Request), 0) },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			r := *orig
			mutate(&r)
			out, err := Marshal(&r)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := Parse(indent(t, out))
			if err != nil {
				return // refused at parse: fine
			}
			if _, err := Verify(ctx, parsed, trust); err == nil {
				t.Fatal("mutated receipt verifies")
			}
		})
	}
}

// flipPositions picks the bytes of a JSON document to flip: every byte of
// its structure (whitespace, punctuation, keys, numbers, short strings) and
// of the first and last 8 bytes of each long string, and one in 16 inside
// long strings (base64 payloads, whose every byte the field table and the
// node's canonical-form test cover).
func flipPositions(doc []byte) []int {
	var out []int
	for i := 0; i < len(doc); i++ {
		if doc[i] != '"' {
			out = append(out, i)
			continue
		}
		end := i + 1 + bytes.IndexByte(doc[i+1:], '"')
		for j := i; j <= end; j++ {
			if end-i < 64 || j-i <= 8 || end-j <= 8 || (j-i)%16 == 0 {
				out = append(out, j)
			}
		}
		i = end
	}
	return out
}

package receipt

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaFile is the receipt's JSON Schema, published for other
// implementations.
const schemaFile = "../../docs/spec/receipt.schema.json"

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	s, err := jsonschema.NewCompiler().Compile(schemaFile)
	if err != nil {
		t.Fatalf("schema does not compile: %v", err)
	}
	return s
}

func validate(s *jsonschema.Schema, doc []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

// TestSchema: the published schema accepts real receipts, the fixture and
// ones built here (with an error answer, with a trust path), and refuses a
// receipt with a field missing, an extra field or a malformed value.
func TestSchema(t *testing.T) {
	s := compileSchema(t)
	data, _ := fixture(t)
	c := newSynthChain(t)
	a := newValidators(c.s, 3)
	c.setFrom(1, 6, setOf(a...))
	withPath, err := Marshal(c.receipt(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	failed := c.receipt()
	failed.Answer, failed.Error = nil, &AnswerError{Codespace: "gate", Code: 1, Log: "invalid request"}
	withError, err := Marshal(failed)
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string][]byte{"fixture": data, "built, with a trust path": withPath, "built, with an error": withError} {
		if err := validate(s, doc); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		out, _ := json.Marshal(m)
		return out
	}
	bad := map[string][]byte{
		"extra field":            edit(func(m map[string]any) { m["signature"] = "AAAA" }),
		"field in another case":  edit(func(m map[string]any) { m["Height"] = m["height"]; delete(m, "height") }),
		"answer and error":       edit(func(m map[string]any) { m["error"] = map[string]any{"codespace": "x", "code": 1, "log": ""} }),
		"extra field in error":   []byte(strings.Replace(string(withError), `"log":`, `"trace":"x","log":`, 1)),
		"other format":           edit(func(m map[string]any) { m["format"] = "lineage-receipt/v2" }),
		"height zero":            edit(func(m map[string]any) { m["height"] = 0 }),
		"height as a string":     edit(func(m map[string]any) { m["height"] = "4" }),
		"lenient base64":         edit(func(m map[string]any) { m["request"] = "AB==" }),
		"unpadded base64":        edit(func(m map[string]any) { m["request"] = "AA" }),
		"checksum algorithm":     edit(func(m map[string]any) { m["checksum"] = strings.Replace(m["checksum"].(string), "sha256", "sha512", 1) }),
		"empty trust path":       edit(func(m map[string]any) { m["trust_path"] = []any{} }),
		"path without a method":  edit(func(m map[string]any) { m["path"] = "/lineage.gate.v1.Query" }),
		"empty validators":       edit(func(m map[string]any) { m["validators"] = "" }),
		"not an object":          []byte(`[]`),
		"the receipts wrapper":   []byte(`{"receipt":"e30="}`),
		"error without its code": []byte(strings.Replace(string(withError), `"code":1,`, ``, 1)),
	}
	for _, field := range []string{"format", "chain_id", "path", "request", "height", "proofs", "state_header", "signed_header", "validators", "checksum"} {
		bad["missing "+field] = edit(func(m map[string]any) { delete(m, field) })
	}
	for name, doc := range bad {
		if err := validate(s, doc); err == nil {
			t.Errorf("%s: schema accepts it", name)
		}
	}
}

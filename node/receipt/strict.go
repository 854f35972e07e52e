package receipt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// checkJSON insists data is one JSON object and nothing after it, with no
// key twice in any object, and returns the object's keys. encoding/json
// would keep the last of two equal keys without a word, so that a reader
// and a verifier could see different documents.
func checkJSON(data []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object  bool
		keys    map[string]bool
		wantKey bool
	}
	var stack []*frame
	var top []string
	done := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: not JSON: %v", ErrUnusable, err)
		}
		if done {
			return nil, fmt.Errorf("%w: data after the JSON document", ErrUnusable)
		}
		if len(stack) == 0 && tok != json.Delim('{') {
			return nil, fmt.Errorf("%w: not a receipt (not a JSON object)", ErrUnusable)
		}
		var cur *frame
		if len(stack) > 0 {
			cur = stack[len(stack)-1]
		}
		switch tok {
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				done = true
			} else if p := stack[len(stack)-1]; p.object {
				p.wantKey = true
			}
			continue
		}
		if cur != nil && cur.object && cur.wantKey {
			key := tok.(string) // the decoder yields only strings here
			if cur.keys[key] {
				return nil, fmt.Errorf("%w: key %q appears twice in an object", ErrInvalid, key)
			}
			cur.keys[key] = true
			if len(stack) == 1 {
				top = append(top, key)
			}
			cur.wantKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, wantKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		default:
			if cur != nil && cur.object {
				cur.wantKey = true
			}
		}
	}
	if !done {
		return nil, fmt.Errorf("%w: not JSON: unexpected end", ErrUnusable)
	}
	return top, nil
}

// Field names, exactly as written: encoding/json matches names without
// regard to case, which would let two spellings mean one field.
var (
	receiptFields = jsonNames(reflect.TypeFor[Receipt]())
	errorFields   = jsonNames(reflect.TypeFor[AnswerError]())
)

// bytesFields are the receipt's base64 fields; trustPathField is a list
// of them.
var bytesFields = []string{"request", "answer", "proofs", "state_header", "signed_header", "validators"}

const trustPathField = "trust_path"

func jsonNames(t reflect.Type) map[string]bool {
	names := map[string]bool{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names[name] = true
	}
	return names
}

// checkFields checks what checkJSON cannot know: every key is exactly a
// field's name, and every base64 value is in the one spelling Marshal
// writes, so that no two spellings decode to the same bytes.
func checkFields(top map[string]json.RawMessage) error {
	for k := range top {
		if !receiptFields[k] {
			return fmt.Errorf("unknown field %q", k)
		}
	}
	if raw, ok := top["error"]; ok && !isNull(raw) {
		var e map[string]json.RawMessage
		if err := json.Unmarshal(raw, &e); err != nil {
			return fmt.Errorf("error: %v", err)
		}
		for k := range e {
			if !errorFields[k] {
				return fmt.Errorf("unknown field %q in error", k)
			}
		}
	}
	for _, name := range bytesFields {
		if raw, ok := top[name]; ok && !isNull(raw) {
			if err := checkBase64(raw); err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
		}
	}
	if raw, ok := top[trustPathField]; ok && !isNull(raw) {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return fmt.Errorf("%s: %v", trustPathField, err)
		}
		for i, item := range list {
			if err := checkBase64(item); err != nil {
				return fmt.Errorf("%s[%d]: %v", trustPathField, i, err)
			}
		}
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return string(raw) == "null" }

func checkBase64(raw json.RawMessage) error {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return errors.New("not a base64 string")
	}
	_, err := decodeBase64(s)
	return err
}

// decodeBase64 reads padded standard base64 with zero trailing bits and
// no line breaks: the only spelling of given bytes.
func decodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("line break in base64")
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not canonical base64: %v", err)
	}
	return b, nil
}

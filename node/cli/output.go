package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("failed to encode output: %w", err)
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// printProto prints a query answer: indented JSON for people, one compact
// line with -o json for programs.
func (e *env) printProto(m proto.Message) error {
	opts := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: false}
	if !e.json() {
		opts.Multiline, opts.Indent = true, "  "
	}
	b, err := opts.Marshal(m)
	if err != nil {
		return fmt.Errorf("failed to encode output: %w", err)
	}
	if e.json() {
		// protojson varies its whitespace from build to build on purpose;
		// programs reading -o json get one stable compact form.
		var compact bytes.Buffer
		if err := json.Compact(&compact, b); err != nil {
			return fmt.Errorf("failed to encode output: %w", err)
		}
		b = compact.Bytes()
	}
	_, err = fmt.Fprintln(e.stdout, string(b))
	return err
}

func protoUnmarshal(b []byte, m proto.Message) error {
	if err := proto.Unmarshal(b, m); err != nil {
		return fmt.Errorf("failed to decode answer: %w", err)
	}
	return nil
}

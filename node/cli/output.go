package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// What -o json promises, for every command (the README's "Output"):
//
//   - stdout holds exactly one line: one compact JSON value, the answer;
//   - field names are snake_case, as the proto field names of the answers;
//   - 64-bit integers (heights, sequences, sizes) are strings, as protobuf
//     JSON, the REST API and CometBFT's RPC write them; smaller ones
//     (codes, counts) are numbers;
//   - hashes of transactions, headers and states are upper-case hex, as
//     CometBFT shows them; digests keep their canonical "sha256:<hex>";
//   - an error is one JSON object on the last line of stderr ([jsonError]),
//     and stdout stays empty unless the command printed its answer first.

// printJSON prints v as one compact line of JSON.
func printJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("failed to encode output: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// jsonInt writes a 64-bit integer as -o json does: a string, as protobuf
// JSON and CometBFT's RPC write them.
func jsonInt[T int64 | uint64](i T) string { return fmt.Sprint(i) }

// jsonInts is jsonInt of each of is.
func jsonInts(is []int64) []string {
	out := make([]string, len(is))
	for i, v := range is {
		out[i] = jsonInt(v)
	}
	return out
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

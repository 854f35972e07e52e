package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/lineageledger/lineaged/x/gate"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
)

// What users type for an enum value, in a query parameter or a request
// body, is read as the CLI reads it: the value's name, its name without
// the enum's prefix in any case with "-" for "_" (direction=upstream), and
// for a use the gate's vocabulary with its aliases (gate.ParseUse:
// commercial, fine-tune, ai_training, USE_AI_TRAINING...). Anything else is
// refused with the list of valid values. Answers keep protobuf JSON's
// enum names.

// useEnum is the enum whose values the gate's vocabulary names.
var useEnum = gatepb.Use_USE_UNSPECIFIED.Descriptor().FullName()

// useAlias is the value name of the use v names, for the Use enum.
func useAlias(ed protoreflect.EnumDescriptor, v string) (string, bool) {
	if ed.FullName() != useEnum {
		return "", false
	}
	u, err := gate.ParseUse(v)
	if err != nil {
		return "", false
	}
	return string(ed.Values().ByNumber(protoreflect.EnumNumber(u)).Name()), true
}

// enumChoices lists the values of ed a user may type, for an error.
func enumChoices(ed protoreflect.EnumDescriptor) string {
	if ed.FullName() == useEnum {
		return gate.UseList()
	}
	vals := ed.Values()
	prefix := ""
	if zero := vals.ByNumber(0); zero != nil {
		prefix, _ = strings.CutSuffix(string(zero.Name()), "UNSPECIFIED")
	}
	var names []string
	for i := range vals.Len() {
		if v := vals.Get(i); v.Number() != 0 {
			names = append(names, strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(string(v.Name()), prefix)), "_", "-"))
		}
	}
	return strings.Join(names, ", ")
}

// knownEnumValue reports whether v, as a query parameter or a body holds
// it once aliases are expanded, is a value of ed: a name or a number.
func knownEnumValue(ed protoreflect.EnumDescriptor, v string) bool {
	if ed.Values().ByName(protoreflect.Name(v)) != nil {
		return true
	}
	_, err := strconv.ParseInt(v, 10, 32)
	return err == nil
}

// unknownEnumValues refuses a query parameter naming no value of its enum,
// listing the valid ones.
func unknownEnumValues(md protoreflect.MessageDescriptor, values url.Values) error {
	for key, vs := range values {
		fd := fieldByPath(md, key)
		if fd == nil || fd.Kind() != protoreflect.EnumKind {
			continue
		}
		for _, v := range vs {
			if !knownEnumValue(fd.Enum(), v) {
				return fmt.Errorf("%s: unknown value %q (want %s)", key, v, enumChoices(fd.Enum()))
			}
		}
	}
	return nil
}

// aliasMarshaler is the gateway's marshaler, reading the enum values of a
// request body as users type them.
type aliasMarshaler struct {
	*runtime.JSONPb
}

func (m aliasMarshaler) Unmarshal(data []byte, v any) error {
	if msg, ok := v.(proto.Message); ok {
		var err error
		if data, err = expandBodyAliases(msg.ProtoReflect().Descriptor(), data); err != nil {
			return err
		}
	}
	return m.JSONPb.Unmarshal(data, v)
}

func (m aliasMarshaler) NewDecoder(r io.Reader) runtime.Decoder {
	return runtime.DecoderFunc(func(v any) error {
		data, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(data)) == 0 {
			return io.EOF // an empty body, as the gateway's own decoder says
		}
		return m.Unmarshal(data, v)
	})
}

// expandBodyAliases rewrites the enum values of a JSON body of a message
// md that users typed as aliases into their value names. A body with none
// is returned as it is; one that is not JSON is left for protojson to
// refuse.
func expandBodyAliases(md protoreflect.MessageDescriptor, data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return data, nil
	}
	changed, err := expandMessage(md, doc, "")
	if err != nil || !changed {
		return data, err
	}
	return json.Marshal(doc)
}

// expandMessage rewrites the aliases in the JSON object v of a message md;
// path names it for errors.
func expandMessage(md protoreflect.MessageDescriptor, v any, path string) (bool, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return false, nil
	}
	changed := false
	for key, val := range obj {
		fields := md.Fields()
		fd := fields.ByJSONName(key)
		if fd == nil {
			fd = fields.ByTextName(key)
		}
		if fd == nil || fd.IsMap() {
			continue
		}
		name := path + key
		var items []any
		if list, ok := val.([]any); ok && fd.IsList() {
			items = list
		} else {
			items = []any{val}
		}
		for i, item := range items {
			switch fd.Kind() {
			case protoreflect.EnumKind:
				s, ok := item.(string)
				if !ok || knownEnumValue(fd.Enum(), s) {
					continue
				}
				alias, ok := useAlias(fd.Enum(), s)
				if !ok {
					alias, ok = enumAlias(fd.Enum(), s)
				}
				if !ok {
					return false, fmt.Errorf("%s: unknown value %q (want %s)", name, s, enumChoices(fd.Enum()))
				}
				items[i], changed = alias, true
			case protoreflect.MessageKind, protoreflect.GroupKind:
				c, err := expandMessage(fd.Message(), item, name+".")
				if err != nil {
					return false, err
				}
				changed = changed || c
			}
		}
		if !fd.IsList() {
			obj[key] = items[0]
		}
	}
	return changed, nil
}

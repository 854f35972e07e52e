package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/node/keyring"
	"github.com/lineageledger/lineaged/x/membership"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// Generic commands run a route or a query that no hand-written command
// covers, from the module table and the messages' descriptors alone: the
// message or request is given as protobuf JSON. A module added to the table
// is usable from the command line before anyone writes it a command.

// jsonRules says how protobuf JSON spells what the field lists show.
const jsonRules = `Field names are the proto names listed below (lowerCamelCase works too) and
unknown fields are refused. 64-bit integers may be quoted, bytes are base64,
enums take their value names, timestamps are RFC 3339 strings.`

// genericTxCmd submits a message of route r given as JSON, through the
// same path as the hand-written transaction commands.
func (e *env) genericTxCmd(r *modules.Route) *cobra.Command {
	md := r.Message()
	module, field, _ := strings.Cut(r.Name, ".")
	needs := ""
	if r.Role != membershippb.Role_ROLE_UNSPECIFIED {
		needs = " (needs " + membership.RoleName(r.Role) + ")"
	}
	use := kebab(field)
	cmd := &cobra.Command{
		Use:         use,
		Annotations: runsRoute(r.Name),
		Short:       fmt.Sprintf("Submit a %s given as JSON%s", md.Name(), needs),
		Long: fmt.Sprintf(`Sign and submit a transaction carrying one %s
(route %s), given in protobuf JSON with --msg, or in a file with --msg-file
(- for stdin). The transaction flags, output and exit codes are those of every
tx command.

%s

%s`, md.FullName(), r.Name, jsonRules, fieldsHelp(md)),
		Example: fmt.Sprintf("  lineaged tx %s %s --msg '%s' --from KEY\n  lineaged tx %s %s --msg-file msg.json --from KEY --dry-run",
			module, use, skeleton(md), module, use),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			msg, err := e.readJSON(cmd, "msg", md)
			if err != nil {
				return err
			}
			return e.submit(cmd, func(keyring.Signer, string, uint64) (proto.Message, error) { return msg, nil }, nil)
		},
	}
	cmd.Flags().String("msg", "", "the message, in protobuf JSON")
	cmd.Flags().String("msg-file", "", "file holding the message in protobuf JSON (- for stdin)")
	cmd.MarkFlagsMutuallyExclusive("msg", "msg-file")
	cmd.MarkFlagsOneRequired("msg", "msg-file")
	return cmd
}

// queryMethod is one query of a module the application answers.
type queryMethod struct {
	path   string // "/" + service name + "/" + method name
	method protoreflect.MethodDescriptor
}

// queryMethods lists the ABCI queries of m in the order of its services
// and their methods; a service the node implements itself (receipts) is
// no ABCI query.
func queryMethods(m modules.Module) []queryMethod {
	var out []queryMethod
	for _, svc := range m.Services {
		if svc.New == nil {
			continue
		}
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc.Desc.ServiceName))
		sd, ok := d.(protoreflect.ServiceDescriptor)
		if err != nil || !ok {
			// The table imports every service's generated package, which
			// registers it: only a wiring bug gets here, and tests catch it.
			panic(fmt.Sprintf("cli: module %s serves %s, which has no registered descriptor", m.Name, svc.Desc.ServiceName))
		}
		for _, gm := range svc.Desc.Methods {
			md := sd.Methods().ByName(protoreflect.Name(gm.MethodName))
			if md == nil {
				panic(fmt.Sprintf("cli: %s has no method %s in its descriptor", svc.Desc.ServiceName, gm.MethodName))
			}
			out = append(out, queryMethod{path: "/" + svc.Desc.ServiceName + "/" + gm.MethodName, method: md})
		}
	}
	return out
}

// genericQueryCmd asks query q with a request given as JSON, through the
// same path as the hand-written query commands.
func (e *env) genericQueryCmd(module string, q queryMethod) *cobra.Command {
	in, out := q.method.Input(), q.method.Output()
	use := kebab(string(q.method.Name()))
	cmd := &cobra.Command{
		Use:         use,
		Annotations: runsQuery(q.path),
		Short:       fmt.Sprintf("Ask %s, the request given as JSON", strings.TrimPrefix(q.path, "/")),
		Long: fmt.Sprintf(`Ask the query %s
with a request given in protobuf JSON with --request, or in a file with
--request-file (- for stdin); without either the request is empty. The answer
is printed as every query's is; --height and --receipt work as on every query.

Request: %s
Answer:  %s

%s

%s`, q.path, in.FullName(), out.FullName(), jsonRules, fieldsHelp(in)),
		Example: fmt.Sprintf("  lineaged query %s %s --request '%s'\n  lineaged query %s %s --request-file request.json -o json",
			module, use, skeleton(in), module, use),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := e.readJSON(cmd, "request", in)
			if err != nil {
				return err
			}
			resp, err := newMessage(out)
			if err != nil {
				return err
			}
			return e.query(cmd, q.path, req, resp)
		},
	}
	cmd.Flags().String("request", "", "the request, in protobuf JSON (default {})")
	cmd.Flags().String("request-file", "", "file holding the request in protobuf JSON (- for stdin)")
	cmd.MarkFlagsMutuallyExclusive("request", "request-file")
	return cmd
}

// readJSON reads a message of type md from --FLAG or --FLAG-file; with
// neither set it is the empty message. Unknown fields are refused.
func (e *env) readJSON(cmd *cobra.Command, flag string, md protoreflect.MessageDescriptor) (proto.Message, error) {
	text, err := cmd.Flags().GetString(flag)
	if err != nil {
		return nil, err
	}
	file, err := cmd.Flags().GetString(flag + "-file")
	if err != nil {
		return nil, err
	}
	from, data := "--"+flag, []byte(text)
	switch {
	case file != "":
		from = "--" + flag + "-file " + file
		if data, err = readInput(e.stdin, expandHome(file)); err != nil {
			return nil, fmt.Errorf("--%s-file: %w", flag, err)
		}
	case !cmd.Flags().Changed(flag):
		data = []byte("{}")
	}
	msg, err := newMessage(md)
	if err != nil {
		return nil, err
	}
	if err := protojson.Unmarshal(data, msg); err != nil {
		return nil, usagef("%s is not a valid %s (see --help for its fields): %w", from, md.FullName(), err)
	}
	return msg, nil
}

// newMessage makes an empty message of the Go type generated for md, which
// the transaction body's oneof needs (a dynamic message would not do).
func newMessage(md protoreflect.MessageDescriptor) (proto.Message, error) {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
	if err != nil {
		return nil, fmt.Errorf("failed to find the Go type of %s: %w", md.FullName(), err)
	}
	return mt.New().Interface(), nil
}

// fieldsHelp lists the fields of md, and of the messages in them, with
// their types, for a person writing the JSON.
func fieldsHelp(md protoreflect.MessageDescriptor) string {
	if md.Fields().Len() == 0 {
		return fmt.Sprintf("%s has no fields: {} is the whole of it.", md.FullName())
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Fields of %s:\n", md.FullName())
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	writeFields(tw, md, "  ", []protoreflect.FullName{md.FullName()})
	tw.Flush()
	return strings.TrimRight(b.String(), "\n")
}

// maxFieldDepth bounds how deep fieldsHelp expands nested messages.
const maxFieldDepth = 4

// writeFields writes one line per field of md, then the fields of a
// message-typed field indented below it; path holds the messages being
// expanded, so that a recursive type is shown once.
func writeFields(w io.Writer, md protoreflect.MessageDescriptor, indent string, path []protoreflect.FullName) {
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		fmt.Fprintf(w, "%s%s\t%s\n", indent, fd.Name(), fieldType(fd))
		sub := fd.Message()
		if fd.IsMap() {
			sub = fd.MapValue().Message()
		}
		if sub == nil || wellKnown(sub) != "" || len(path) >= maxFieldDepth || containsName(path, sub.FullName()) {
			continue
		}
		writeFields(w, sub, indent+"  ", append(path, sub.FullName()))
	}
}

func containsName(names []protoreflect.FullName, n protoreflect.FullName) bool {
	for _, m := range names {
		if m == n {
			return true
		}
	}
	return false
}

// fieldType describes a field's type as its JSON takes it.
func fieldType(fd protoreflect.FieldDescriptor) string {
	var t string
	switch {
	case fd.IsMap():
		t = "map of " + elemType(fd.MapKey()) + " to " + elemType(fd.MapValue())
	case fd.IsList():
		t = "list of " + elemType(fd)
	default:
		t = elemType(fd)
	}
	if oo := fd.ContainingOneof(); oo != nil && !oo.IsSynthetic() {
		var names []string
		for i := range oo.Fields().Len() {
			names = append(names, string(oo.Fields().Get(i).Name()))
		}
		t += fmt.Sprintf(" (oneof %s: only one of %s)", oo.Name(), strings.Join(names, ", "))
	}
	return t
}

func elemType(fd protoreflect.FieldDescriptor) string {
	switch fd.Kind() {
	case protoreflect.EnumKind:
		values := fd.Enum().Values()
		names := make([]string, values.Len())
		for i := range values.Len() {
			names[i] = string(values.Get(i).Name())
		}
		return "enum " + strings.Join(names, " | ")
	case protoreflect.MessageKind, protoreflect.GroupKind:
		if s := wellKnown(fd.Message()); s != "" {
			return s
		}
		return string(fd.Message().FullName())
	case protoreflect.BytesKind:
		return "bytes (base64)"
	}
	return fd.Kind().String()
}

// wellKnown describes the JSON of a well-known message type; "" for others.
func wellKnown(md protoreflect.MessageDescriptor) string {
	switch md.FullName() {
	case "google.protobuf.Timestamp":
		return `timestamp ("2027-01-01T00:00:00Z")`
	case "google.protobuf.Duration":
		return `duration ("1.5s")`
	}
	return ""
}

// skeleton is an example JSON of md: each field with an empty value of its
// type (only the first field of a oneof), for a person to fill in.
func skeleton(md protoreflect.MessageDescriptor) string {
	return skeletonOf(md, []protoreflect.FullName{md.FullName()})
}

// skeletonOf is skeleton below the messages in path, which it leaves
// empty if they recur (a recursive type) or nest too deep.
func skeletonOf(md protoreflect.MessageDescriptor, path []protoreflect.FullName) string {
	fields := md.Fields()
	var parts []string
	for i := range fields.Len() {
		fd := fields.Get(i)
		if oo := fd.ContainingOneof(); oo != nil && !oo.IsSynthetic() && oo.Fields().Get(0) != fd {
			continue
		}
		var v string
		switch {
		case fd.IsList():
			v = "[]"
		case fd.IsMap():
			v = "{}"
		case fd.Kind() == protoreflect.BoolKind:
			v = "false"
		case fd.Kind() == protoreflect.EnumKind:
			v = `"` + string(fd.Enum().Values().Get(0).Name()) + `"`
		case fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind:
			sub := fd.Message()
			switch {
			case wellKnown(sub) != "":
				v = "null"
			case len(path) >= maxFieldDepth || containsName(path, sub.FullName()):
				v = "{}"
			default:
				v = skeletonOf(sub, append(path, sub.FullName()))
			}
		case fd.Kind() == protoreflect.StringKind || fd.Kind() == protoreflect.BytesKind:
			v = `""`
		default:
			v = "0"
		}
		parts = append(parts, fmt.Sprintf("%q:%s", fd.Name(), v))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// kebab writes a proto field name ("register_model") or a method name
// ("ModelsByDigest", "ABCIInfo") as a command name: "register-model",
// "models-by-digest", "abci-info".
func kebab(s string) string {
	if strings.Contains(s, "_") || strings.ToLower(s) == s {
		return strings.ReplaceAll(strings.ToLower(s), "_", "-")
	}
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		upper := r >= 'A' && r <= 'Z'
		if upper && i > 0 {
			prevLower := rs[i-1] >= 'a' && rs[i-1] <= 'z' || rs[i-1] >= '0' && rs[i-1] <= '9'
			nextLower := i+1 < len(rs) && rs[i+1] >= 'a' && rs[i+1] <= 'z'
			prevUpper := rs[i-1] >= 'A' && rs[i-1] <= 'Z'
			if prevLower || prevUpper && nextLower {
				b.WriteByte('-')
			}
		}
		b.WriteString(strings.ToLower(string(r)))
	}
	return b.String()
}

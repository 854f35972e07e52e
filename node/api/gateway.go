package api

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"github.com/lineageledger/lineaged/app/modules"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// OpenAPIPath is where the OpenAPI (Swagger 2.0) document of the API is
// served.
const OpenAPIPath = "/v1/openapi.json"

// marshaler encodes every response and decodes every body: proto field
// names, as the CLI prints them, with unset fields present so that the shape
// of an answer does not depend on its values; unknown body fields are
// rejected.
var marshaler = &runtime.JSONPb{
	MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
	UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
}

// errorWriter writes the middleware's own errors in the gateway's shape, a
// google.rpc.Status as JSON: {"code": <gRPC code>, "message": ..., "details": []}.
type errorWriter struct{}

func (errorWriter) write(w http.ResponseWriter, httpStatus int, code codes.Code, msg string) {
	body, err := marshaler.Marshal(status.New(code, msg).Proto())
	if err != nil {
		body = []byte(`{"code":13,"message":"failed to encode error"}`)
	}
	w.Header().Set("Content-Type", marshaler.ContentType(nil))
	w.WriteHeader(httpStatus)
	_, _ = w.Write(body)
}

// registerQueryServices binds the routes (proto/http.yaml) of every
// service in the module table on mux, to clients of conn.
func registerQueryServices(mux *runtime.ServeMux, conn grpc.ClientConnInterface) error {
	// The generated functions use ctx only with connections they dial
	// themselves; these clients outlive any request.
	ctx := context.Background()
	for _, m := range modules.Default().Modules() {
		for _, svc := range m.Services {
			if err := svc.REST(ctx, mux, conn); err != nil {
				return fmt.Errorf("failed to register the routes of %s: %w", svc.Desc.ServiceName, err)
			}
		}
	}
	return nil
}

// newGateway builds the mux of every route: the query services through
// conn, and the OpenAPI document.
func newGateway(conn grpc.ClientConnInterface) (*runtime.ServeMux, error) {
	opts := []runtime.ServeMuxOption{
		runtime.WithMarshalerOption(runtime.MIMEWildcard, aliasMarshaler{marshaler}),
		// No HTTP header becomes gRPC metadata: the application sees only
		// what queryConn sets (HeightMetadataKey).
		runtime.WithIncomingHeaderMatcher(func(string) (string, bool) { return "", false }),
		// A route answers only its own method: no form-encoded POST
		// standing in for a GET, no X-HTTP-Method-Override.
		runtime.WithDisablePathLengthFallback(),
		runtime.WithDisableHTTPMethodOverride(),
		runtime.WithStrictDeepWildcardMatching(),
		runtime.WithRoutingErrorHandler(routingError),
		runtime.WithErrorHandler(httpError),
		// Tell the observer, if any, which route answers the request.
		runtime.WithMiddlewares(recordRoute),
	}
	// The gateway keeps its query parser in a package variable: set it
	// once, with the first mux, to a parser without state, so that every
	// gateway in the process shares it without a race.
	queryParserOnce.Do(func() {
		opts = append(opts, runtime.SetQueryParameterParser(enumAliasParser{next: &runtime.DefaultQueryParser{}}))
	})
	mux := runtime.NewServeMux(opts...)
	if err := registerQueryServices(mux, conn); err != nil {
		return nil, err
	}
	doc, err := openAPIDocument()
	if err != nil {
		return nil, err
	}
	err = mux.HandlePath(http.MethodGet, OpenAPIPath, func(w http.ResponseWriter, _ *http.Request, _ map[string]string) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
		_, _ = w.Write(doc)
	})
	if err != nil {
		return nil, fmt.Errorf("failed to register %s: %w", OpenAPIPath, err)
	}
	return mux, nil
}

// routingError answers a path no route matches with 404, and a path that
// only other methods match with 405 (the gateway's default turns that into
// Unimplemented and so 501).
func routingError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	if httpStatus != http.StatusMethodNotAllowed {
		runtime.DefaultRoutingErrorHandler(ctx, mux, m, w, r, httpStatus)
		return
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, &runtime.HTTPStatusError{
		HTTPStatus: http.StatusMethodNotAllowed,
		Err:        status.Errorf(codes.Unimplemented, "%s is not allowed on %s", r.Method, r.URL.Path),
	})
}

// httpError answers a query's error as the gateway does (the status's
// usual HTTP mapping), with two refinements: a status with a RetryInfo
// detail sets Retry-After (whole seconds, at least 1), and
// ResourceExhausted without one is 413, an answer too large to send,
// which asking again would not change, rather than the 429 of a rate
// limit.
func httpError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	if st, ok := status.FromError(err); ok {
		if wait, ok := retryDelay(st); ok {
			w.Header().Set("Retry-After", strconv.FormatInt(retrySeconds(wait), 10))
		} else if st.Code() == codes.ResourceExhausted {
			err = &runtime.HTTPStatusError{HTTPStatus: http.StatusRequestEntityTooLarge, Err: err}
		}
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
}

// retryDelay is the delay a status's RetryInfo detail asks for, if it has
// one.
func retryDelay(st *status.Status) (time.Duration, bool) {
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration(), true
		}
	}
	return 0, false
}

// retrySeconds is d in whole seconds for Retry-After, rounded up, at
// least 1.
func retrySeconds(d time.Duration) int64 {
	return max(int64(math.Ceil(d.Seconds())), 1)
}

var queryParserOnce sync.Once

// enumAliasParser lets an enum query parameter name its value without the
// enum's prefix and in any case: direction=upstream for DIRECTION_UPSTREAM,
// uses=ai-training for USE_AI_TRAINING, and a use by any name gate.ParseUse
// reads (uses=fine-tune). Full names and numbers work as before; anything
// else is refused with the list of valid values (aliases.go).
type enumAliasParser struct {
	next runtime.QueryParameterParser
}

func (p enumAliasParser) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	md := msg.ProtoReflect().Descriptor()
	values = expandEnumAliases(md, values)
	if err := unknownEnumValues(md, values); err != nil {
		return err
	}
	return p.next.Parse(msg, values, filter)
}

func expandEnumAliases(md protoreflect.MessageDescriptor, values url.Values) url.Values {
	var out url.Values
	for key, vs := range values {
		fd := fieldByPath(md, key)
		if fd == nil || fd.Kind() != protoreflect.EnumKind {
			continue
		}
		expanded := make([]string, len(vs))
		changed := false
		for i, v := range vs {
			expanded[i] = v
			if name, ok := enumAlias(fd.Enum(), v); ok {
				expanded[i] = name
				changed = true
			}
		}
		if !changed {
			continue
		}
		if out == nil {
			out = make(url.Values, len(values))
			for k, v := range values {
				out[k] = v
			}
		}
		out[key] = expanded
	}
	if out == nil {
		return values
	}
	return out
}

// enumAlias is the value name v stands for, when v is not already a value
// name or number.
func enumAlias(ed protoreflect.EnumDescriptor, v string) (string, bool) {
	vals := ed.Values()
	if vals.ByName(protoreflect.Name(v)) != nil {
		return "", false
	}
	if _, err := strconv.ParseInt(v, 10, 32); err == nil {
		return "", false
	}
	if name, ok := useAlias(ed, v); ok {
		return name, true
	}
	upper := strings.ToUpper(strings.ReplaceAll(v, "-", "_"))
	candidates := []string{upper}
	// The prefix is that of the zero value, e.g. DIRECTION_ of
	// DIRECTION_UNSPECIFIED, as the protos name them.
	if zero := vals.ByNumber(0); zero != nil {
		if prefix, ok := strings.CutSuffix(string(zero.Name()), "UNSPECIFIED"); ok && prefix != "" {
			candidates = append(candidates, prefix+upper)
		}
	}
	for _, c := range candidates {
		if vals.ByName(protoreflect.Name(c)) != nil {
			return c, true
		}
	}
	return "", false
}

// fieldByPath resolves a dotted query key ("policy.require_signature") by
// proto or JSON names, as the gateway does; nil if it names no field.
func fieldByPath(md protoreflect.MessageDescriptor, key string) protoreflect.FieldDescriptor {
	parts := strings.Split(key, ".")
	for i, part := range parts {
		fields := md.Fields()
		fd := fields.ByTextName(part)
		if fd == nil {
			fd = fields.ByJSONName(part)
		}
		if fd == nil {
			return nil
		}
		if i == len(parts)-1 {
			return fd
		}
		if fd.Message() == nil || fd.IsList() || fd.IsMap() {
			return nil
		}
		md = fd.Message()
	}
	return nil
}

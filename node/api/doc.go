// Package api serves the REST/JSON query API: every query method of the
// gRPC API under /v1, translated by grpc-gateway from the HTTP bindings in
// proto/http.yaml, and the OpenAPI document generated from the same
// bindings. Its [RateLimiter] also limits the node's gRPC API, through
// interceptors, so that both listeners hold a client to one rate.
//
// The server proxies only these routes. Nothing of CometBFT is reachable
// through it: not its RPC, and in particular none of its unsafe routes
// (dial_peers, unsafe_flush_mempool, ...). It never submits transactions.
//
// # Routes
//
// JSON field names are the proto field names (as the CLI prints them), 64-bit
// integers are strings, bytes are base64, and unset fields are present with
// their zero values. Path parameters are in braces; the other fields of the
// request message are query parameters, nested ones dotted
// (subject.dataset=...), repeated ones repeated (uses=a&uses=b). The routes
// are those of every service in the module table (app/modules), bound in
// proto/http.yaml; docs/rest-api.md lists them all, generated from the
// OpenAPI document the server serves at [OpenAPIPath].
//
// Digests ("sha256:<hex>") go into the path as they are: no route has a
// custom verb, so the ':' is an ordinary character. Model names and licence
// ids may contain '/' and are matched by a deep wildcard, so
// /v1/models/acme/llm-7b/versions/1.0 is model "acme/llm-7b" version "1.0";
// '/' may also be sent as %2F. (A name with a path segment "versions",
// "deployments" or "aliases" is ambiguous in these paths; the list routes
// win.) Dataset
// namespaces and names may both contain '/', which no path could split, so
// datasets by name are looked up with query parameters. Query values are
// form-encoded, so a '+' (as in version 1.0+build) is sent as %2B there; in
// a path it stands for itself. Enum parameters take the value name
// (DIRECTION_UPSTREAM), its number, or the name without its prefix in any
// case (upstream, ai-training).
//
// # Height and receipts
//
// Two query parameters apply to every route and are removed before the rest
// is bound to the request message (the OpenAPI document lists both with
// every operation that takes them: the server adds them to the generated
// document, whose generator cannot):
//
//   - height=n (n > 0) answers from the state version at height n. It
//     reaches the connection the server was built on as the outgoing gRPC
//     metadata [HeightMetadataKey] ("x-lineage-height"), which that
//     connection must honour; height=0 or none means the latest committed
//     state. No HTTP header becomes metadata, so a client cannot set it any
//     other way.
//   - prove=true (or a bare prove) answers with a receipt instead: the
//     server asks the [ReceiptFunc] for one, giving it the route's full gRPC
//     method name, the decoded request message and the height (0: the
//     latest provable), and writes its bytes as application/json. The
//     query itself is not sent to the connection. The status is the
//     answer's: 200, or, for a receipt proving the query's own error, that
//     error's (404 for a record that does not exist, with the receipt of its
//     absence as the body).
//
// Neither applies to POST /v1/receipts, the generic form for clients that
// hold an encoded request: its body names the method, the base64 request
// and the height, and its answer carries the receipt base64-encoded in
// "receipt", with 200 whatever the query answered (the receipt says). prove
// is refused on /v1/openapi.json, which runs no query.
//
// # Errors
//
// Errors are JSON google.rpc.Status objects, {"code", "message", "details"},
// code being the gRPC status code and the HTTP status its usual mapping
// (InvalidArgument 400, NotFound 404, ...). Application errors keep their
// "codespace/code: ..." message. The middleware answers in the same shape:
// 400 for a malformed prove or height, 403 for a preflight from an origin not
// allowed, 413 for a body over [Config.MaxRequestBytes], 429 (with
// Retry-After) over the rate limit; unknown routes are 404, a known path with
// the wrong method 405. Two refinements apply to the errors of queries and
// receipts: a status with a RetryInfo detail sets Retry-After (whole
// seconds, at least 1), so a node proving as many queries as it will at
// once answers 503 (Unavailable) with it; and ResourceExhausted without
// one, an answer too large to prove, is 413 rather than 429, since asking
// again would not make it smaller. The message of the latter says how to
// ask for less.
//
// # Limits
//
// Each client (the connection's remote IPv4 address or IPv6 /64; headers
// such as X-Forwarded-For are not trusted, so behind a proxy all its clients
// share one bucket) gets a token bucket of [Config.RateLimit] requests per
// second and [Config.RateBurst] at once; given a [Config.Limiter], the
// server takes its tokens from that instead, which the node shares with its
// gRPC API ([RateLimiter.UnaryServerInterceptor],
// [RateLimiter.StreamServerInterceptor]: one token a call or stream,
// ResourceExhausted with a RetryInfo detail over the rate). Bodies are read whole,
// up to [Config.MaxRequestBytes], before routing; headers (and so GET query
// strings) are bounded at 64 KiB. A query gets 30 s before its context is
// cancelled (504). CORS: only [Config.CORSAllowedOrigins] may read
// responses, and preflights from other origins are refused. With a
// certificate and key the server speaks TLS 1.2 or newer only.
package api

package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
)

// Query parameters every route accepts; the middleware removes them before
// the gateway binds the rest to the request message.
const (
	proveParam  = "prove"
	heightParam = "height"
)

// cors answers preflight requests and marks responses readable by the
// allowed origins. Requests from other origins are still served (a browser
// then hides the response from the page); their preflights get 403.
func cors(allowed []string, errs errorWriter, next http.Handler) http.Handler {
	anyOrigin := slices.Contains(allowed, "*")
	allow := func(origin string) bool {
		return origin != "" && (anyOrigin || slices.Contains(allowed, strings.ToLower(origin)))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		h := w.Header()
		h.Add("Vary", "Origin")
		ok := allow(origin)
		if ok {
			if anyOrigin {
				h.Set("Access-Control-Allow-Origin", "*")
			} else {
				h.Set("Access-Control-Allow-Origin", origin)
			}
			h.Set("Access-Control-Expose-Headers", "Retry-After")
		}
		if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
			next.ServeHTTP(w, r)
			return
		}
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
		if !ok {
			errs.write(w, http.StatusForbidden, codes.PermissionDenied, fmt.Sprintf("origin %q is not allowed", origin))
			return
		}
		h.Set("Access-Control-Allow-Methods", "GET, POST")
		h.Set("Access-Control-Allow-Headers", "Content-Type")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
	})
}

// limitBody reads the whole body, at most limit bytes, before anything
// else sees it: larger bodies get 413 however they are framed.
func limitBody(limit int, errs errorWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tooLarge := func() {
			errs.write(w, http.StatusRequestEntityTooLarge, codes.ResourceExhausted, fmt.Sprintf("request body exceeds %d bytes", limit))
		}
		if r.ContentLength > int64(limit) {
			tooLarge()
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(limit)))
			if err != nil {
				if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
					tooLarge()
					return
				}
				errs.write(w, http.StatusBadRequest, codes.InvalidArgument, fmt.Sprintf("failed to read request body: %v", err))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		next.ServeHTTP(w, r)
	})
}

// parseCall takes prove and height out of a request's query, leaving the
// parameters that belong to the request message.
func parseCall(q url.Values) (*call, error) {
	c := &call{}
	if vs, ok := q[proveParam]; ok {
		if len(vs) != 1 {
			return nil, fmt.Errorf("%s given %d times", proveParam, len(vs))
		}
		c.prove = true // a bare ?prove asks for proof
		if vs[0] != "" {
			b, err := strconv.ParseBool(vs[0])
			if err != nil {
				return nil, fmt.Errorf("%s=%q: want true or false", proveParam, vs[0])
			}
			c.prove = b
		}
		delete(q, proveParam)
	}
	if vs, ok := q[heightParam]; ok {
		if len(vs) != 1 {
			return nil, fmt.Errorf("%s given %d times", heightParam, len(vs))
		}
		h, err := strconv.ParseInt(vs[0], 10, 64)
		if err != nil || h < 0 {
			return nil, fmt.Errorf("%s=%q: want a block height, or 0 for the latest", heightParam, vs[0])
		}
		c.height = h
		delete(q, heightParam)
	}
	return c, nil
}

// callParams moves prove and height from the URL into the request context
// for queryConn, bounds the request's time, and, when proof was asked for,
// answers with the receipt queryConn obtained instead of the gateway's
// output: with 200, or, for a receipt proving the query's error, with the
// status the gateway gave that error (404 for a missing record).
func callParams(timeout time.Duration, errs errorWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			errs.write(w, http.StatusBadRequest, codes.InvalidArgument, fmt.Sprintf("malformed query: %v", err))
			return
		}
		cl, err := parseCall(q)
		if err != nil {
			errs.write(w, http.StatusBadRequest, codes.InvalidArgument, err.Error())
			return
		}
		ctx, cancel := context.WithTimeout(withCall(r.Context(), cl), timeout)
		defer cancel()
		r = r.WithContext(ctx)
		r.URL.RawQuery = q.Encode()
		if !cl.prove {
			next.ServeHTTP(w, r)
			return
		}
		buf := &bufferedResponse{header: http.Header{}}
		next.ServeHTTP(buf, r)
		if receipt, failed, ok := cl.result(); ok {
			code := http.StatusOK
			if failed && buf.statusCode() >= 400 {
				code = buf.statusCode()
			}
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(receipt)))
			w.WriteHeader(code)
			_, _ = w.Write(receipt)
			return
		}
		if buf.statusCode() < 300 {
			// The route answered without running a query (the OpenAPI
			// document): there is nothing to prove.
			errs.write(w, http.StatusBadRequest, codes.InvalidArgument, fmt.Sprintf("%s is not available on %s", proveParam, r.URL.Path))
			return
		}
		buf.copyTo(w)
	})
}

// bufferedResponse holds a response until the middleware decides whether
// to send it or a receipt.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

func (b *bufferedResponse) statusCode() int {
	if b.status == 0 {
		return http.StatusOK
	}
	return b.status
}

func (b *bufferedResponse) copyTo(w http.ResponseWriter) {
	for k, vs := range b.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(b.statusCode())
	_, _ = w.Write(b.body.Bytes())
}

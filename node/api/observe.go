package api

import (
	"context"
	"net/http"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
)

// requestRoute is where the gateway notes the route that answers a request,
// for the observer that created it. One request's handlers run on its own
// goroutine, so it needs no lock.
type requestRoute struct {
	pattern runtime.Pattern
	routed  bool
}

type routeKey struct{}

// observe calls fn with the route and status of every request once next has
// answered it (see [Config.ObserveRequest]).
func observe(fn func(route string, status int), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rr := &requestRoute{}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), routeKey{}, rr)))
		route := ""
		if rr.routed {
			// The method is one the route was registered with: a request
			// with any other matches no route.
			route = r.Method + " " + rr.pattern.String()
		}
		fn(route, sw.statusCode())
	})
}

// recordRoute is a gateway middleware: it runs once the mux has matched a
// route, and notes the route's path template for observe.
func recordRoute(next runtime.HandlerFunc) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, pathParams map[string]string) {
		if rr, ok := r.Context().Value(routeKey{}).(*requestRoute); ok {
			rr.pattern, rr.routed = runtime.HTTPPattern(r.Context())
		}
		next(w, r, pathParams)
	}
}

// statusWriter remembers the status of the response written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	// An informational (1xx) status precedes the real one.
	if w.status == 0 && status >= http.StatusOK {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

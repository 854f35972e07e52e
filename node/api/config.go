package api

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
)

// Defaults filled in by [Config.Validate].
const (
	// DefaultAddress keeps the REST API on loopback unless configured
	// otherwise, like the node's other APIs.
	DefaultAddress = "127.0.0.1:1317"
	// DefaultMaxRequestBytes matches the gRPC API's default bound.
	DefaultMaxRequestBytes = 64 << 10
	// DefaultRateLimit is requests per second per client IP.
	DefaultRateLimit = 20
)

// Config configures the REST server.
type Config struct {
	// Address is the TCP address to listen on, e.g. "127.0.0.1:1317";
	// port 0 picks a free port (see [Server.Addr]).
	Address string
	// TLSCertFile and TLSKeyFile, both set, serve HTTPS (TLS 1.2 or newer)
	// instead of plain HTTP.
	TLSCertFile string
	TLSKeyFile  string
	// CORSAllowedOrigins lists the browser origins ("https://app.example")
	// allowed to read responses; "*" allows any. Empty allows none.
	CORSAllowedOrigins []string
	// MaxRequestBytes bounds a request body; larger bodies get 413.
	MaxRequestBytes int
	// RateLimit is the sustained number of requests per second allowed per
	// client IP; RateBurst the number allowed at once. Excess requests get
	// 429 with Retry-After.
	RateLimit float64
	RateBurst int
	// Limiter, if set, is the limiter the server takes its tokens from
	// instead of one of its own from RateLimit and RateBurst: the node gives
	// the REST and gRPC APIs the same one, so that a client has one rate
	// for both.
	Limiter *RateLimiter
	// ObserveRequest, if set, is called once per request after it is
	// answered, with the route that answered it and the HTTP status. route
	// is the method and path template of the route ("GET /v1/gate/check",
	// "GET /v1/models/{name=**}/versions/{version=*}", "GET /v1/openapi.json"),
	// or "" for a request answered before or without routing: refused by the
	// middleware (rate limit, body size, malformed prove or height, CORS
	// preflight) or matching no route. Both come from fixed sets, whatever
	// the client sends, so they suit metric labels. It must be safe for
	// concurrent use and quick: it runs on the request's goroutine.
	ObserveRequest func(route string, status int)
}

// DefaultConfig is what [Config.Validate] makes of the zero Config: plain
// HTTP on loopback, no CORS origins, default limits.
func DefaultConfig() Config {
	return Config{
		Address:         DefaultAddress,
		MaxRequestBytes: DefaultMaxRequestBytes,
		RateLimit:       DefaultRateLimit,
		RateBurst:       2 * DefaultRateLimit,
	}
}

// Validate fills defaults for zero fields and rejects nonsense.
func (c *Config) Validate() error {
	if c.Address == "" {
		c.Address = DefaultAddress
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return errors.New("TLS certificate and key files must be set together")
	}
	if c.MaxRequestBytes < 0 {
		return fmt.Errorf("max request bytes %d: must not be negative", c.MaxRequestBytes)
	}
	if c.MaxRequestBytes == 0 {
		c.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if math.IsNaN(c.RateLimit) || math.IsInf(c.RateLimit, 0) || c.RateLimit < 0 {
		return fmt.Errorf("rate limit %v: want a finite, non-negative number of requests per second", c.RateLimit)
	}
	if c.RateLimit == 0 {
		c.RateLimit = DefaultRateLimit
	}
	if c.RateBurst < 0 {
		return fmt.Errorf("rate burst %d: must not be negative", c.RateBurst)
	}
	if c.RateBurst == 0 {
		// Two seconds' worth, and always at least one request.
		c.RateBurst = int(math.Min(math.Ceil(2*c.RateLimit), math.MaxInt32))
		c.RateBurst = max(c.RateBurst, 1)
	}
	if len(c.CORSAllowedOrigins) > 0 {
		// A fresh slice: the caller's stays as it was.
		origins := make([]string, len(c.CORSAllowedOrigins))
		for i, o := range c.CORSAllowedOrigins {
			norm, err := normalizeOrigin(o)
			if err != nil {
				return err
			}
			origins[i] = norm
		}
		c.CORSAllowedOrigins = origins
	}
	return nil
}

// normalizeOrigin checks that o is "*" or a bare origin, scheme://host[:port],
// and lowercases it, as browsers send origins.
func normalizeOrigin(o string) (string, error) {
	if o == "*" {
		return o, nil
	}
	u, err := url.Parse(o)
	if err != nil {
		return "", fmt.Errorf("CORS origin %q: %w", o, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("CORS origin %q: want \"*\" or scheme://host[:port] with scheme http or https", o)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

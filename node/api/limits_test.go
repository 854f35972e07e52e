package api

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
)

func TestBodyLimit(t *testing.T) {
	const limit = 256
	h := newHarness(t, withConfig(Config{Address: "127.0.0.1:0", MaxRequestBytes: limit, RateLimit: 1000}))
	// A valid body padded with spaces to exactly n bytes.
	body := func(n int) string {
		b := `{"org":"beta"}`
		return b + strings.Repeat(" ", n-len(b))
	}

	t.Run("at the limit", func(t *testing.T) {
		resp, rb := h.do(t, "POST", "/v1/gate/check", body(limit))
		checkAnswer(t, resp, rb, gatepb.Query_Check_FullMethodName)
		checkServed(t, h, gatepb.Query_Check_FullMethodName, &gatepb.CheckRequest{Org: "beta"})
	})
	t.Run("over the limit", func(t *testing.T) {
		before := h.rec.count()
		resp, rb := h.do(t, "POST", "/v1/gate/check", body(limit+1))
		e := decodeError(t, resp, rb, http.StatusRequestEntityTooLarge, codes.ResourceExhausted)
		if !strings.Contains(e.Message, "256 bytes") {
			t.Errorf("message %q", e.Message)
		}
		if h.rec.count() != before {
			t.Error("the query ran")
		}
	})
	t.Run("over the limit without a Content-Length", func(t *testing.T) {
		pr, pw := io.Pipe()
		go func() {
			_, _ = pw.Write([]byte(body(limit * 4)))
			_ = pw.Close()
		}()
		req, err := http.NewRequest("POST", h.base+"/v1/gate/check", pr)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := h.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		rb, _ := io.ReadAll(resp.Body)
		if req.ContentLength != -1 && req.ContentLength != 0 {
			t.Fatalf("request has Content-Length %d", req.ContentLength)
		}
		decodeError(t, resp, rb, http.StatusRequestEntityTooLarge, codes.ResourceExhausted)
	})
}

func TestRateLimit(t *testing.T) {
	h := newHarness(t, withConfig(Config{Address: "127.0.0.1:0", RateLimit: 0.1, RateBurst: 2}))
	for i := range 2 {
		if resp, body := h.do(t, "GET", "/v1/params", ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d: status %d: %s", i, resp.StatusCode, body)
		}
	}
	before := h.rec.count()
	resp, body := h.do(t, "GET", "/v1/params", "")
	e := decodeError(t, resp, body, http.StatusTooManyRequests, codes.ResourceExhausted)
	if ra := resp.Header.Get("Retry-After"); ra != "10" && ra != "9" {
		t.Errorf("Retry-After %q, want 10 (one token at 0.1/s), or 9 on a slow machine", ra)
	}
	if !strings.Contains(e.Message, "rate limit") {
		t.Errorf("message %q", e.Message)
	}
	if h.rec.count() != before {
		t.Error("a limited request reached the services")
	}

	// Another client has its own bucket.
	req := httptest.NewRequest("GET", "/v1/params", nil)
	req.RemoteAddr = "192.0.2.7:4000"
	rr := httptest.NewRecorder()
	h.srv.Handler().ServeHTTP(rr, req)
	if rr.Code != http.StatusOK {
		t.Errorf("another client: status %d: %s", rr.Code, rr.Body)
	}
}

func TestRateLimiterRefillsAndForgets(t *testing.T) {
	l, err := NewRateLimiter(1, 1)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1_000_000, 0)
	if ok, _ := l.allow("192.0.2.1:1000", t0); !ok {
		t.Fatal("first request refused")
	}
	ok, wait := l.allow("192.0.2.1:1001", t0.Add(100*time.Millisecond))
	if ok || wait != 900*time.Millisecond {
		t.Fatalf("second request from another port: ok %v wait %v, want refused for 900ms", ok, wait)
	}
	// A refused request costs nothing: the token arrives on time.
	if ok, _ := l.allow("192.0.2.1:1000", t0.Add(time.Second)); !ok {
		t.Fatal("refused after the refill")
	}
	if ok, _ := l.allow("192.0.2.2:1000", t0.Add(time.Second)); !ok {
		t.Fatal("another client refused")
	}
	// Entries idle for longer than a refill are dropped at the next sweep.
	if ok, _ := l.allow("192.0.2.3:1000", t0.Add(2*l.idle)); !ok {
		t.Fatal("new client refused")
	}
	if len(l.clients) != 1 {
		t.Errorf("%d clients kept after the sweep, want only c", len(l.clients))
	}
}

func TestCORS(t *testing.T) {
	h := newHarness(t, withConfig(Config{Address: "127.0.0.1:0", RateLimit: 1000, CORSAllowedOrigins: []string{"https://App.Example"}}))
	t.Run("allowed origin", func(t *testing.T) {
		resp, body := h.do(t, "GET", "/v1/params", "", "Origin", "https://app.example")
		checkAnswer(t, resp, body, "/lineage.app.v1.Query/Params")
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "https://app.example" {
			t.Errorf("Access-Control-Allow-Origin %q", got)
		}
		if !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
			t.Errorf("Vary %q lacks Origin", resp.Header.Values("Vary"))
		}
	})
	t.Run("other origin is served without CORS headers", func(t *testing.T) {
		resp, body := h.do(t, "GET", "/v1/params", "", "Origin", "https://evil.example")
		checkAnswer(t, resp, body, "/lineage.app.v1.Query/Params")
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Access-Control-Allow-Origin %q, want none", got)
		}
	})
	t.Run("allowed preflight", func(t *testing.T) {
		before := h.rec.count()
		resp, _ := h.do(t, "OPTIONS", "/v1/gate/check", "",
			"Origin", "https://app.example", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("status %d, want 204", resp.StatusCode)
		}
		for k, want := range map[string]string{
			"Access-Control-Allow-Origin":  "https://app.example",
			"Access-Control-Allow-Methods": "GET, POST",
			"Access-Control-Allow-Headers": "Content-Type",
		} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("%s %q, want %q", k, got, want)
			}
		}
		if h.rec.count() != before {
			t.Error("a preflight reached the services")
		}
	})
	t.Run("denied preflight", func(t *testing.T) {
		resp, body := h.do(t, "OPTIONS", "/v1/gate/check", "",
			"Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
		decodeError(t, resp, body, http.StatusForbidden, codes.PermissionDenied)
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Access-Control-Allow-Origin %q, want none", got)
		}
	})
	t.Run("any origin", func(t *testing.T) {
		h := newHarness(t, withConfig(Config{Address: "127.0.0.1:0", RateLimit: 1000, CORSAllowedOrigins: []string{"*"}}))
		resp, _ := h.do(t, "GET", "/v1/params", "", "Origin", "https://whoever.example")
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("Access-Control-Allow-Origin %q, want *", got)
		}
	})
	t.Run("no origins configured", func(t *testing.T) {
		h := newHarness(t)
		resp, _ := h.do(t, "OPTIONS", "/v1/params", "", "Origin", "https://app.example", "Access-Control-Request-Method", "GET")
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("status %d, Access-Control-Allow-Origin %q: want 403 and none", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	})
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key,
// and returns their paths and a pool trusting the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "lineaged test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	h := newHarness(t, withConfig(Config{Address: "127.0.0.1:0", RateLimit: 1000, TLSCertFile: certFile, TLSKeyFile: keyFile}))
	h.client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}

	resp, body := h.do(t, "GET", "/v1/models/acme/llm-7b/versions/1.0", "")
	checkAnswer(t, resp, body, "/lineage.models.v1.Query/Model")
	if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Errorf("response TLS state %+v", resp.TLS)
	}

	old := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11,
	}}}
	if resp, err := old.Get(h.base + "/v1/params"); err == nil {
		resp.Body.Close()
		t.Error("a TLS 1.1 client was served")
	} else if !strings.Contains(err.Error(), "remote error: tls: protocol version") {
		t.Errorf("TLS 1.1 client failed with %v, want the server's protocol version alert", err)
	}

	plain, err := http.Get("http://" + h.srv.Addr() + "/v1/params")
	if err == nil {
		defer plain.Body.Close()
		if plain.StatusCode == http.StatusOK {
			t.Error("plain HTTP was served on the TLS port")
		}
	}
}

func TestNewServerRejects(t *testing.T) {
	conn := dialFakes(t, &fakeQueries{}, &recorder{})
	certFile, keyFile, _ := selfSigned(t)
	tests := []struct {
		name string
		cfg  Config
		conn grpc.ClientConnInterface
		want string
	}{
		{"no connection", Config{}, nil, "needs a connection"},
		{"half a key pair", Config{TLSCertFile: certFile}, conn, "set together"},
		{"unreadable key pair", Config{TLSCertFile: certFile, TLSKeyFile: certFile}, conn, "TLS key pair"},
		{"missing files", Config{TLSCertFile: keyFile + ".none", TLSKeyFile: keyFile}, conn, "TLS key pair"},
		{"negative rate", Config{RateLimit: -1}, conn, "rate limit"},
		{"bad origin", Config{CORSAllowedOrigins: []string{"app.example"}}, conn, "CORS origin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewServer(tc.cfg, tc.conn, nil, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestServerLifecycle(t *testing.T) {
	conn := dialFakes(t, &fakeQueries{}, &recorder{})
	srv, err := NewServer(Config{Address: "127.0.0.1:0"}, conn, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Addr(); got != "127.0.0.1:0" {
		t.Errorf("Addr before Start %q, want the configured address", got)
	}
	if err := srv.Stop(context.Background()); err != nil {
		t.Errorf("Stop before Start: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr()
	if strings.HasSuffix(addr, ":0") {
		t.Fatalf("Addr after Start %q, want the bound port", addr)
	}
	if err := srv.Start(); err == nil {
		t.Error("second Start succeeded")
	}
	resp, err := http.Get("http://" + addr + "/v1/params")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}

	// A second server cannot take the same address.
	other, err := NewServer(Config{Address: addr}, conn, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Start(); err == nil {
		t.Error("two servers listen on one address")
		_ = other.Stop(context.Background())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if resp, err := http.Get("http://" + addr + "/v1/params"); err == nil {
		resp.Body.Close()
		t.Error("served after Stop")
	}
}

func TestConfigValidate(t *testing.T) {
	var zero Config
	if err := zero.Validate(); err != nil {
		t.Fatal(err)
	}
	if d := DefaultConfig(); zero.Address != d.Address || zero.MaxRequestBytes != d.MaxRequestBytes ||
		zero.RateLimit != d.RateLimit || zero.RateBurst != d.RateBurst || zero.CORSAllowedOrigins != nil {
		t.Errorf("zero config validated to %+v, want %+v", zero, d)
	}

	origins := []string{"HTTPS://App.Example:8443/", "*"}
	c := Config{RateLimit: 0.2, CORSAllowedOrigins: origins}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.RateBurst != 1 {
		t.Errorf("burst %d for 0.2/s, want 1", c.RateBurst)
	}
	if c.CORSAllowedOrigins[0] != "https://app.example:8443" || origins[0] != "HTTPS://App.Example:8443/" {
		t.Errorf("origins %q (caller's %q): want normalised, caller's untouched", c.CORSAllowedOrigins, origins)
	}

	bad := []Config{
		{TLSKeyFile: "k"},
		{MaxRequestBytes: -1},
		{RateLimit: -0.5},
		{RateBurst: -1},
		{CORSAllowedOrigins: []string{"ftp://x.example"}},
		{CORSAllowedOrigins: []string{"https://x.example/path"}},
		{CORSAllowedOrigins: []string{"https://user@x.example"}},
		{CORSAllowedOrigins: []string{""}},
	}
	for _, b := range bad {
		if err := b.Validate(); err == nil {
			t.Errorf("%+v validated", b)
		}
	}
}

func TestEnumAliases(t *testing.T) {
	md := (&gatepb.CheckRequest{}).ProtoReflect().Descriptor()
	in := map[string][]string{
		"uses":  {"commercial", "USE_REDISTRIBUTION", "4", "ai-training", "Derivatives", "bogus"},
		"model": {"commercial"},
	}
	out := expandEnumAliases(md, in)
	want := []string{"USE_COMMERCIAL", "USE_REDISTRIBUTION", "4", "USE_AI_TRAINING", "USE_DERIVATIVES", "bogus"}
	if got := out["uses"]; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("uses %q, want %q", got, want)
	}
	if out["model"][0] != "commercial" {
		t.Error("a string field was rewritten")
	}
	if in["uses"][0] != "commercial" {
		t.Error("the caller's values were modified")
	}
	if fd := fieldByPath(md, "policy.maxLineageNodes"); fd == nil || fd.Name() != "max_lineage_nodes" {
		t.Errorf("policy.maxLineageNodes resolved to %v", fd)
	}
	if fieldByPath(md, "uses.x") != nil || fieldByPath(md, "nothing") != nil {
		t.Error("resolved a path that names no field")
	}
}

func TestRequestTimeout(t *testing.T) {
	var errs errorWriter
	h := callParams(20*time.Millisecond, errs, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			errs.write(w, http.StatusGatewayTimeout, codes.DeadlineExceeded, r.Context().Err().Error())
		case <-time.After(5 * time.Second):
			w.WriteHeader(http.StatusOK)
		}
	}))
	rr := httptest.NewRecorder()
	start := time.Now()
	h.ServeHTTP(rr, httptest.NewRequest("GET", "/v1/params", nil))
	if rr.Code != http.StatusGatewayTimeout || time.Since(start) > 2*time.Second {
		t.Errorf("status %d after %v: want the request's context cancelled at its timeout", rr.Code, time.Since(start))
	}
}

func TestClientKey(t *testing.T) {
	tests := []struct{ remote, want string }{
		{"192.0.2.7:4000", "192.0.2.7"},
		{"[::ffff:192.0.2.7]:4000", "192.0.2.7"},
		{"[2001:db8:1:2:aaaa::1]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:bbbb::9]:80", "2001:db8:1:2::/64"},
		{"[2001:db8:1:3::1]:80", "2001:db8:1:3::/64"},
		{"[fe80::1%eth0]:80", "fe80::/64"},
		{"@unix", "@unix"},
	}
	for _, tc := range tests {
		if got := clientKey(tc.remote); got != tc.want {
			t.Errorf("clientKey(%q) = %q, want %q", tc.remote, got, tc.want)
		}
	}
}

package node

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/node/client"
	"github.com/lineageledger/lineaged/node/keyring"
	"github.com/lineageledger/lineaged/node/nodetest"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

func freePort(t testing.TB) int {
	t.Helper()
	p, err := nodetest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startTestNode initialises a dev-tuned single-validator home whose admin
// is returned, and runs its node until the test ends.
func startTestNode(t testing.TB, tweaks ...func(*Config)) (*Node, *keys.PrivateKey) {
	t.Helper()
	return startTestNodeLogging(t, io.Discard, tweaks...)
}

// startTestNodeLogging is startTestNode logging to logs.
func startTestNodeLogging(t testing.TB, logs io.Writer, tweaks ...func(*Config)) (*Node, *keys.PrivateKey) {
	t.Helper()
	home := t.TempDir()
	admin, _ := keys.Generate(keysv1.KeyType_KEY_TYPE_ED25519)
	if _, err := Init(InitOptions{Home: home, ChainID: "node-test", OrgID: "alpha", OrgName: "Alpha", Admin: admin.Public(), Dev: true}); err != nil {
		t.Fatal(err)
	}
	cmt, err := LoadCometConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	cmt.RPC.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t))
	cmt.P2P.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", freePort(t))
	cmt.Instrumentation.Prometheus = false
	cfg, err := LoadConfig(home, NewViper())
	if err != nil {
		t.Fatal(err)
	}
	cfg.API.GRPCAddress = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg.API.RESTAddress = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	for _, tweak := range tweaks {
		tweak(cfg)
	}
	logger, _ := NewLogger(logs, cfg.Log)
	n, err := New(home, cmt, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Stop(); err != nil {
			t.Error(err)
		}
	})
	return n, admin
}

type keySigner struct {
	k *keys.PrivateKey
}

func (s keySigner) Address() string                 { return keys.Address(s.k.Public()) }
func (s keySigner) Public() *keysv1.PublicKey       { return s.k.Public() }
func (s keySigner) Sign(msg []byte) ([]byte, error) { return s.k.Sign(msg) }

var _ keyring.Signer = keySigner{}

// TestNodeSubmitAndQuery runs a real CometBFT node in-process, submits a
// transaction over RPC, waits for its commit and reads the result back
// over both the RPC (ABCI query) and the gRPC API.
func TestNodeSubmitAndQuery(t *testing.T) {
	n, admin := startTestNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := client.Dial(n.RPCAddress())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitForHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}
	newKey, _ := keys.Generate(keysv1.KeyType_KEY_TYPE_P256)
	raw, err := c.Build(ctx, keySigner{admin}, &membershippb.MsgAddAccount{PublicKey: newKey.Public(), Roles: []membershippb.Role{membershippb.Role_ROLE_DATA_STEWARD}, Label: "pipeline"}, client.TxOptions{Memo: "hello"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Submit(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() {
		t.Fatalf("tx failed: %+v", res)
	}
	acct, err := c.Account(ctx, keys.Address(newKey.Public()))
	if err != nil {
		t.Fatal(err)
	}
	if acct.OrgId != "alpha" || acct.Label != "pipeline" || acct.CreatedHeight != res.Height {
		t.Fatalf("account = %v (tx at height %d)", acct, res.Height)
	}
	// The transaction index finds it by the attributes marked searchable,
	// and only by those.
	found, err := c.RPC().TxSearch(ctx, fmt.Sprintf("membership.account_added.address='%s'", acct.Address), false, nil, nil, "asc")
	if err != nil || found.TotalCount != 1 || found.Txs[0].Height != res.Height {
		t.Fatalf("tx_search by the new account's address: %+v, %v", found, err)
	}
	bySigner, err := c.RPC().TxSearch(ctx, fmt.Sprintf("tx.signer='%s' AND tx.msg='membership.add_account'", keys.Address(admin.Public())), false, nil, nil, "asc")
	if err != nil || bySigner.TotalCount != 1 {
		t.Fatalf("tx_search by signer and route: %+v, %v", bySigner, err)
	}
	unindexed, err := c.RPC().TxSearch(ctx, "membership.account_added.roles EXISTS", false, nil, nil, "asc")
	if err != nil || unindexed.TotalCount != 0 {
		t.Fatalf("tx_search by an attribute not marked searchable found %+v, %v", unindexed, err)
	}
	// Resubmitting the same bytes is a replay: rejected, not executed twice.
	again, err := c.Submit(ctx, raw)
	if err == nil && again.Height != res.Height {
		t.Fatalf("replayed tx: %+v", again)
	}

	conn, err := grpc.NewClient(n.APIAddress(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	q := membershippb.NewQueryClient(conn)
	org, err := q.Org(ctx, &membershippb.QueryOrgRequest{OrgId: "alpha"})
	if err != nil {
		t.Fatal(err)
	}
	if len(org.Accounts) != 2 {
		t.Fatalf("org has %d accounts over gRPC, want 2", len(org.Accounts))
	}
	_, err = q.Account(ctx, &membershippb.QueryAccountRequest{Address: keys.Address(admin.Public())[:10]})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("bad address over gRPC = %v", err)
	}
	_, err = q.Org(ctx, &membershippb.QueryOrgRequest{OrgId: "nobody"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("missing org over gRPC = %v", err)
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	home := t.TempDir()
	admin, _ := keys.Generate(keysv1.KeyType_KEY_TYPE_ED25519)
	o := InitOptions{Home: home, ChainID: "c", OrgID: "alpha", OrgName: "A", Admin: admin.Public()}
	if _, err := Init(o); err != nil {
		t.Fatal(err)
	}
	if _, err := Init(o); err == nil {
		t.Fatal("second init succeeded")
	}
	o.Overwrite = true
	if _, err := Init(o); err != nil {
		t.Fatalf("init --overwrite: %v", err)
	}
	if _, err := LoadConfig(home, NewViper()); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCometConfig(home); err != nil {
		t.Fatal(err)
	}
}

// TestAPIOverTLS: with a certificate configured the query API speaks TLS
// only, and a client trusting that certificate gets answers.
func TestAPIOverTLS(t *testing.T) {
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	certFile, keyFile := filepath.Join(dir, "api.crt"), filepath.Join(dir, "api.key")
	os.WriteFile(certFile, certPEM, 0o600)
	os.WriteFile(keyFile, keyPEM, 0o600)
	n, _ := startTestNode(t, func(c *Config) { c.API.TLSCertFile, c.API.TLSKeyFile = certFile, keyFile })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := n.WaitForHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	conn, err := grpc.NewClient(n.APIAddress(), grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: "localhost"})))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := membershippb.NewQueryClient(conn).Org(ctx, &membershippb.QueryOrgRequest{OrgId: "alpha"}); err != nil {
		t.Fatalf("query over TLS: %v", err)
	}
	plain, err := grpc.NewClient(n.APIAddress(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	short, cancelShort := context.WithTimeout(ctx, 2*time.Second)
	defer cancelShort()
	if _, err := membershippb.NewQueryClient(plain).Org(short, &membershippb.QueryOrgRequest{OrgId: "alpha"}); err == nil {
		t.Fatal("the TLS API answered a plaintext client")
	}
}

// selfSigned makes a certificate for localhost.
func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

// TestGRPCRateLimit: the gRPC API takes its calls from the same per-client
// token buckets as the REST API: over the burst a client is refused with
// ResourceExhausted saying when to retry, on either API, and reflection
// streams count too.
func TestGRPCRateLimit(t *testing.T) {
	n, _ := startTestNode(t, func(c *Config) { c.API.RateLimit, c.API.RateBurst = 0.5, 3 })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := n.WaitForHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(n.APIAddress(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	q := appv1.NewQueryClient(conn)
	for i := range 3 {
		if _, err := q.Params(ctx, &appv1.QueryParamsRequest{}); err != nil {
			t.Fatalf("call %d of the burst: %v", i, err)
		}
	}
	_, err = q.Params(ctx, &appv1.QueryParamsRequest{})
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "rate limit exceeded: retry after") {
		t.Fatalf("call over the burst: %v, want ResourceExhausted saying when to retry", err)
	}
	if len(st.Details()) != 1 {
		t.Fatalf("details %v, want a RetryInfo", st.Details())
	}
	if ri, ok := st.Details()[0].(*errdetails.RetryInfo); !ok || ri.GetRetryDelay().AsDuration() <= 0 {
		t.Errorf("details %v, want a RetryInfo with a delay", st.Details())
	}
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("reflection stream over the burst: %v, want ResourceExhausted", err)
	}

	// The same client over REST shares the bucket.
	resp, err := http.Get("http://" + n.RESTAddress() + "/v1/params")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("REST after the gRPC burst: %d, Retry-After %q; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

package node

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// ceremonyHome is a home fresh from init for org, on chain, and its join
// request.
func ceremonyHome(t *testing.T, chain, org string, n int) (string, []byte) {
	t.Helper()
	admin, err := keys.Generate(keysv1.KeyType_KEY_TYPE_ED25519)
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	if _, err := Init(InitOptions{Home: home, ChainID: chain, Moniker: org + "-node", OrgID: org, OrgName: "Org " + org, Admin: admin.Public()}); err != nil {
		t.Fatal(err)
	}
	r, err := NewJoinRequest(home, "10.0.0."+string(rune('0'+n))+":26656", DefaultValidatorPower)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return home, b
}

// TestJoinRequestRefusals: a request whose bytes were altered, or whose
// fields are out of bounds, is refused with the field named; reformatted,
// it still reads.
func TestJoinRequestRefusals(t *testing.T) {
	_, good := ceremonyHome(t, "consortium-1", "beta", 2)
	if _, err := ParseJoinRequest(good); err != nil {
		t.Fatalf("a fresh request: %v", err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, good); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseJoinRequest(compact.Bytes()); err != nil {
		t.Errorf("the request reformatted: %v", err)
	}
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"another org", edit(func(m map[string]any) { m["org"].(map[string]any)["id"] = "gamma" }), "signature does not verify"},
		{"more power", edit(func(m map[string]any) { m["validator"].(map[string]any)["power"] = "1000" }), "signature does not verify"},
		{"another address", edit(func(m map[string]any) { m["p2p_address"] = "10.9.9.9:26656" }), "signature does not verify"},
		{"another admin", edit(func(m map[string]any) {
			other, _ := keys.Generate(keysv1.KeyType_KEY_TYPE_ED25519)
			m["admin_public_key"].(map[string]any)["key"] = other.Public().Key
		}), "signature does not verify"},
		{"no signature", edit(func(m map[string]any) { m["signature"] = "" }), "not a base64 Ed25519 signature"},
		{"format", edit(func(m map[string]any) { m["format"] = "v2" }), "format"},
		{"zero power", edit(func(m map[string]any) { m["validator"].(map[string]any)["power"] = "0" }), "validator.power"},
		{"node id", edit(func(m map[string]any) { m["node_id"] = "ABC" }), "node_id"},
		{"unspecified address", edit(func(m map[string]any) { m["p2p_address"] = "0.0.0.0:26656" }), "p2p_address"},
		{"no port", edit(func(m map[string]any) { m["p2p_address"] = "node.example" }), "p2p_address"},
		{"unknown field", edit(func(m map[string]any) { m["extra"] = 1 }), "unknown field"},
		{"org id", edit(func(m map[string]any) { m["org"].(map[string]any)["id"] = "Bad Org" }), "org.id"},
		{"control character", edit(func(m map[string]any) { m["org"].(map[string]any)["name"] = "a\nb" }), "org.name"},
		{"trailing data", append(append([]byte{}, good...), []byte("{}")...), "data after"},
		{"too large", bytes.Repeat([]byte(" "), MaxJoinRequestBytes+1), "at most"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseJoinRequest(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// TestCeremony: the coordinator's genesis takes every other org's request
// once, keeps its own, refuses duplicates and other chains, and writes
// nothing when one request of a batch is refused; every home then installs
// the same bytes.
func TestCeremony(t *testing.T) {
	coord, acme := ceremonyHome(t, "consortium-1", "acme", 1)
	beta, betaReq := ceremonyHome(t, "consortium-1", "beta", 2)
	_, gammaReq := ceremonyHome(t, "consortium-1", "gamma", 3)
	_, otherChain := ceremonyHome(t, "other-1", "delta", 4)
	genesisPath := filepath.Join(coord, "config", "genesis.json")

	dir := t.TempDir()
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("acme.json", acme)
	write("beta.json", betaReq)
	write("delta.json", otherChain)
	before, _ := os.ReadFile(genesisPath)
	if _, err := Collect(coord, dir, nil); err == nil || !strings.Contains(err.Error(), `is for chain "other-1"`) {
		t.Fatalf("a batch with another chain's request: %v", err)
	}
	if after, _ := os.ReadFile(genesisPath); !bytes.Equal(before, after) {
		t.Fatal("a refused batch changed the genesis")
	}
	os.Remove(filepath.Join(dir, "delta.json"))
	write("gamma.json", gammaReq)
	c, err := Collect(coord, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Added, ",") != "beta,gamma" || strings.Join(c.Present, ",") != "acme" || len(c.Peers) != 3 {
		t.Errorf("collected %+v", c)
	}
	if _, err := Collect(coord, dir, nil); err != nil {
		t.Errorf("collecting the same requests again: %v", err)
	}
	g, err := LoadCeremonyGenesis(genesisPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Doc.Validators) != 3 || len(g.App.Membership.Orgs) != 3 {
		t.Fatalf("genesis has %d validators, %d orgs", len(g.Doc.Validators), len(g.App.Membership.Orgs))
	}
	for _, a := range g.App.Membership.Accounts {
		consortium := false
		for _, r := range a.Roles {
			consortium = consortium || r == membershippb.Role_ROLE_CONSORTIUM_ADMIN
		}
		if consortium != (a.OrgId == "acme") {
			t.Errorf("account of %s: consortium-admin %v", a.OrgId, consortium)
		}
	}
	r, _ := ParseJoinRequest(betaReq)
	if err := g.AddOrg(r, nil); err == nil || !strings.Contains(err.Error(), "in the genesis already") {
		t.Errorf("adding beta twice: %v", err)
	}
	if err := g.AddValidator(r); err == nil || !strings.Contains(err.Error(), "in the genesis already") {
		t.Errorf("adding beta's validator twice: %v", err)
	}

	s, err := ValidateGenesisFile(genesisPath)
	if err != nil {
		t.Fatal(err)
	}
	peers, err := ReadPeers(dir)
	if err != nil {
		t.Fatal(err)
	}
	in, err := InstallGenesis(beta, genesisPath, peers)
	if err != nil {
		t.Fatal(err)
	}
	if in.Hash != s.Hash || !in.Validator || len(in.Peers) != 2 {
		t.Errorf("installed %+v; the coordinator's hash %s", in, s.Hash)
	}
	cfg, err := LoadCometConfig(beta)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.P2P.ExternalAddress != "10.0.0.2:26656" || strings.Contains(cfg.P2P.PersistentPeers, r.NodeID) {
		t.Errorf("beta's P2P: external %q, peers %q", cfg.P2P.ExternalAddress, cfg.P2P.PersistentPeers)
	}

	// A home of another chain, and one that has made blocks, refuse it.
	other, _ := ceremonyHome(t, "other-1", "delta", 4)
	if _, err := InstallGenesis(other, genesisPath, peers); err == nil || !strings.Contains(err.Error(), "initialised for chain") {
		t.Errorf("installing in a home of another chain: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(beta, "data", "blockstore.db"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := InstallGenesis(beta, genesisPath, peers); err == nil || !strings.Contains(err.Error(), "has run a chain already") {
		t.Errorf("installing in a home that ran: %v", err)
	}
}

// FuzzParseJoinRequest: any bytes give a request or an error, and a
// request read back is one whose signature verifies.
func FuzzParseJoinRequest(f *testing.F) {
	_, good := ceremonyHomeF(f)
	f.Add(good)
	f.Add([]byte(`{"format":"lineage-ledger/join-request/v1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseJoinRequest(data)
		if err != nil {
			return
		}
		again, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseJoinRequest(again); err != nil {
			t.Fatalf("a request read back does not parse: %v", err)
		}
	})
}

func ceremonyHomeF(f *testing.F) (string, []byte) {
	admin, err := keys.Generate(keysv1.KeyType_KEY_TYPE_ED25519)
	if err != nil {
		f.Fatal(err)
	}
	home := f.TempDir()
	if _, err := Init(InitOptions{Home: home, ChainID: "c-1", Moniker: "n", OrgID: "acme", OrgName: "Acme", Admin: admin.Public()}); err != nil {
		f.Fatal(err)
	}
	r, err := NewJoinRequest(home, "127.0.0.1:26656", 1)
	if err != nil {
		f.Fatal(err)
	}
	b, err := r.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	return home, b
}

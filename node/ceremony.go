package node

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	cmttypes "github.com/cometbft/cometbft/types"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	"github.com/lineageledger/lineaged/x/membership"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// A genesis ceremony forms a network from organisations on separate
// machines. Each runs `lineaged init` and writes a JoinRequest of its home:
// its organisation, founding admin key, validator key, node id and P2P
// address, signed with the validator key. A coordinator adds every request
// to one genesis (AddOrg, AddValidator, Collect); each organisation checks
// that genesis, installs it with the peers' addresses (InstallGenesis) and
// compares its hash with the others' before starting.

// JoinRequestFormat names the one version of the join request.
const JoinRequestFormat = "lineage-ledger/join-request/v1"

// joinRequestDomain separates the bytes a validator key signs for a join
// request from anything else it signs (CometBFT votes, proposals).
const joinRequestDomain = "lineage-ledger/join-request/v1\x00"

// MaxJoinRequestBytes bounds a join request file: one is well under 2 KiB.
const MaxJoinRequestBytes = 64 << 10

// DefaultValidatorPower is the voting power a join request asks for unless
// told otherwise: every organisation equal.
const DefaultValidatorPower = 10

// maxValidatorNameLen bounds a validator's name (its node's moniker).
const maxValidatorNameLen = 64

// JoinRequest is what an organisation sends the coordinator of a genesis
// ceremony. Its signature, by the validator key, covers every other field
// (SignBytes), so a request altered on its way is refused, and no one can
// ask for a validator whose key they do not hold.
type JoinRequest struct {
	Format  string `json:"format"`
	ChainID string `json:"chain_id"`
	Org     struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"org"`
	// AdminPublicKey is the founding admin's key, as app_state writes it.
	AdminPublicKey json.RawMessage `json:"admin_public_key"`
	Validator      struct {
		// PubKey is the Ed25519 consensus key, base64.
		PubKey string `json:"pub_key"`
		Power  string `json:"power"`
		Name   string `json:"name"`
	} `json:"validator"`
	NodeID     string `json:"node_id"`
	P2PAddress string `json:"p2p_address"`
	Signature  string `json:"signature"`

	admin *keysv1.PublicKey
	valPK ed25519.PubKey
	power int64
}

// NewJoinRequest writes the join request of a home made by `lineaged
// init`: its chain id, organisation and founding admin from its genesis,
// its validator and node keys, and p2pAddress, where the other nodes will
// reach it (HOST:PORT).
func NewJoinRequest(home, p2pAddress string, power int64) (*JoinRequest, error) {
	cfg, err := LoadCometConfig(home)
	if err != nil {
		return nil, err
	}
	doc, gen, err := readGenesis(cfg.GenesisFile())
	if err != nil {
		return nil, err
	}
	m := gen.GetMembership()
	if len(m.GetOrgs()) != 1 || len(m.GetAccounts()) != 1 {
		return nil, fmt.Errorf("%s holds %d organisations and %d accounts: a join request is made from a home fresh from `lineaged init`, with its own organisation alone",
			cfg.GenesisFile(), len(m.GetOrgs()), len(m.GetAccounts()))
	}
	pv := privval.LoadFilePVEmptyState(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	pk, ok := pv.Key.PubKey.(ed25519.PubKey)
	if !ok {
		return nil, fmt.Errorf("validator key %s is %s, not ed25519", cfg.PrivValidatorKeyFile(), pv.Key.PubKey.Type())
	}
	nodeKey, err := p2p.LoadNodeKey(cfg.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("failed to read the node key: %w", err)
	}
	adminJSON, err := protojson.Marshal(m.Accounts[0].PublicKey)
	if err != nil {
		return nil, err
	}
	r := &JoinRequest{Format: JoinRequestFormat, ChainID: doc.ChainID, AdminPublicKey: adminJSON,
		NodeID: string(nodeKey.ID()), P2PAddress: p2pAddress}
	r.Org.ID, r.Org.Name = m.Orgs[0].Id, m.Orgs[0].Name
	r.Validator.PubKey = base64.StdEncoding.EncodeToString(pk)
	r.Validator.Power = strconv.FormatInt(power, 10)
	r.Validator.Name = cfg.Moniker
	if err := r.check(); err != nil {
		return nil, err
	}
	sig, err := pv.Key.PrivKey.Sign(r.SignBytes())
	if err != nil {
		return nil, fmt.Errorf("failed to sign the join request: %w", err)
	}
	r.Signature = base64.StdEncoding.EncodeToString(sig)
	return r, nil
}

// ParseJoinRequest reads a join request and checks every field and its
// signature; whitespace and the order of keys are free.
func ParseJoinRequest(data []byte) (*JoinRequest, error) {
	if len(data) > MaxJoinRequestBytes {
		return nil, fmt.Errorf("join request of %d bytes: at most %d", len(data), MaxJoinRequestBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r JoinRequest
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("not a join request: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("not a join request: data after the JSON object")
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	sig, err := base64.StdEncoding.DecodeString(r.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, errors.New("join request: signature is not a base64 Ed25519 signature")
	}
	if !r.valPK.VerifySignature(r.SignBytes(), sig) {
		return nil, errors.New("join request: the validator key's signature does not verify: the request was changed after it was made, or was not made with this validator key")
	}
	return &r, nil
}

// Marshal writes the request as indented JSON.
func (r *JoinRequest) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// check validates every field but the signature and decodes the keys.
func (r *JoinRequest) check() error {
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("join request: %s: %s", field, fmt.Sprintf(format, args...))
	}
	if r.Format != JoinRequestFormat {
		return bad("format", "%q, want %q", r.Format, JoinRequestFormat)
	}
	if r.ChainID == "" {
		return bad("chain_id", "empty")
	}
	if err := ValidateChainID(r.ChainID); err != nil {
		return bad("chain_id", "%v", err)
	}
	if err := membership.ValidateOrgID(r.Org.ID); err != nil {
		return bad("org.id", "%v", err)
	}
	if err := checkLabel(r.Org.Name, 128); err != nil {
		return bad("org.name", "%v", err)
	}
	r.admin = &keysv1.PublicKey{}
	if err := protojson.Unmarshal(r.AdminPublicKey, r.admin); err != nil {
		return bad("admin_public_key", "%v", err)
	}
	if err := keys.ValidatePublicKey(r.admin); err != nil {
		return bad("admin_public_key", "%v", err)
	}
	pk, err := base64.StdEncoding.DecodeString(r.Validator.PubKey)
	if err != nil || len(pk) != ed25519.PubKeySize {
		return bad("validator.pub_key", "not a base64 Ed25519 public key")
	}
	r.valPK = ed25519.PubKey(pk)
	power, err := strconv.ParseInt(r.Validator.Power, 10, 64)
	if err != nil || power < 1 || power > cmttypes.MaxTotalVotingPower/1024 {
		return bad("validator.power", "%q: want a whole number from 1 to %d", r.Validator.Power, cmttypes.MaxTotalVotingPower/1024)
	}
	r.power = power
	if err := checkLabel(r.Validator.Name, maxValidatorNameLen); err != nil {
		return bad("validator.name", "%v", err)
	}
	if id, err := hex.DecodeString(r.NodeID); err != nil || len(id) != 20 || r.NodeID != strings.ToLower(r.NodeID) {
		return bad("node_id", "%q: want 40 lower-case hex digits (lineaged's node id)", r.NodeID)
	}
	host, port, err := net.SplitHostPort(r.P2PAddress)
	if err != nil || host == "" {
		return bad("p2p_address", "%q: want HOST:PORT, where the other validators reach this node", r.P2PAddress)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return bad("p2p_address", "port %q", port)
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return bad("p2p_address", "%s is no address another node can dial: give the host others reach this one at", host)
	}
	return nil
}

// checkLabel accepts printable UTF-8 of 1 to max bytes.
func checkLabel(s string, max int) error {
	switch {
	case s == "":
		return errors.New("empty")
	case len(s) > max:
		return fmt.Errorf("longer than %d bytes", max)
	case !utf8.ValidString(s):
		return errors.New("not UTF-8")
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return errors.New("holds a control character")
		}
	}
	return nil
}

// SignBytes are what the validator key signs: a domain tag, then every
// field, each with its length, so no two requests share them.
func (r *JoinRequest) SignBytes() []byte {
	var b bytes.Buffer
	b.WriteString(joinRequestDomain)
	for _, f := range []string{r.ChainID, r.Org.ID, r.Org.Name, keys.TypeName(r.admin.GetType()), string(r.admin.GetKey()),
		string(r.valPK), r.Validator.Power, r.Validator.Name, r.NodeID, r.P2PAddress} {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(f)))
		b.WriteString(f)
	}
	sum := sha256.Sum256(b.Bytes())
	return sum[:]
}

// Peer is the request's node as CometBFT's persistent_peers names it.
func (r *JoinRequest) Peer() string { return r.NodeID + "@" + r.P2PAddress }

// AdminAddress is the account address of the request's founding admin.
func (r *JoinRequest) AdminAddress() string { return keys.Address(r.admin) }

// JoiningAdminRoles are the roles AddOrg gives a joining organisation's
// admin unless told otherwise: every role but the consortium's own, which
// the founding organisation holds and governance grants.
func JoiningAdminRoles() []membershippb.Role {
	var out []membershippb.Role
	for _, r := range membership.AllRoles() {
		if r != membershippb.Role_ROLE_CONSORTIUM_ADMIN {
			out = append(out, r)
		}
	}
	return out
}

// CeremonyGenesis is a genesis being assembled: the CometBFT document and
// its app_state, decoded.
type CeremonyGenesis struct {
	Doc *cmttypes.GenesisDoc
	App *appv1.Genesis
}

// readGenesis reads a genesis file and its app_state.
func readGenesis(path string) (*cmttypes.GenesisDoc, *appv1.Genesis, error) {
	doc, err := cmttypes.GenesisDocFromFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to read genesis: %w", err)
	}
	gen, err := modules.ParseGenesis(doc.AppState)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: app_state: %w", path, err)
	}
	return doc, gen, nil
}

// LoadCeremonyGenesis reads the genesis file at path.
func LoadCeremonyGenesis(path string) (*CeremonyGenesis, error) {
	doc, gen, err := readGenesis(path)
	if err != nil {
		return nil, err
	}
	return &CeremonyGenesis{Doc: doc, App: gen}, nil
}

// AddOrg adds the request's organisation and its founding admin, with
// roles (JoiningAdminRoles if none). It refuses a request for another
// chain, an organisation already present and an admin key already held by
// an account.
func (g *CeremonyGenesis) AddOrg(r *JoinRequest, roles []membershippb.Role) error {
	if r.ChainID != g.Doc.ChainID {
		return fmt.Errorf("the join request of %s is for chain %q; this genesis is of %q", r.Org.ID, r.ChainID, g.Doc.ChainID)
	}
	if len(roles) == 0 {
		roles = JoiningAdminRoles()
	}
	if g.App.Membership == nil {
		g.App.Membership = &membershippb.Genesis{}
	}
	m := g.App.Membership
	for _, o := range m.Orgs {
		if o.Id == r.Org.ID {
			return fmt.Errorf("organisation %q is in the genesis already", r.Org.ID)
		}
	}
	for _, a := range m.Accounts {
		if proto.Equal(a.PublicKey, r.admin) {
			return fmt.Errorf("the admin key of %s (%s) is already an account of %s", r.Org.ID, r.AdminAddress(), a.OrgId)
		}
	}
	m.Orgs = append(m.Orgs, &membershippb.Org{Id: r.Org.ID, Name: r.Org.Name})
	m.Accounts = append(m.Accounts, &membershippb.GenesisAccount{OrgId: r.Org.ID, PublicKey: r.admin, Roles: roles, Label: "founding admin"})
	return nil
}

// AddValidator adds the request's validator with its power. It refuses a
// request for another chain and a consensus key already in the set.
func (g *CeremonyGenesis) AddValidator(r *JoinRequest) error {
	if r.ChainID != g.Doc.ChainID {
		return fmt.Errorf("the join request of %s is for chain %q; this genesis is of %q", r.Org.ID, r.ChainID, g.Doc.ChainID)
	}
	for _, v := range g.Doc.Validators {
		if bytes.Equal(v.PubKey.Bytes(), r.valPK) {
			return fmt.Errorf("validator key of %s (%s) is in the genesis already, as %q", r.Org.ID, r.valPK.Address(), v.Name)
		}
	}
	g.Doc.Validators = append(g.Doc.Validators, cmttypes.GenesisValidator{
		Address: r.valPK.Address(), PubKey: r.valPK, Power: r.power, Name: r.Validator.Name,
	})
	return nil
}

// hasRequest reports whether the genesis holds exactly what r asks for
// (the coordinator's own request, made from the home the genesis grew in).
func (g *CeremonyGenesis) hasRequest(r *JoinRequest) bool {
	orgOK, valOK := false, false
	for _, a := range g.App.GetMembership().GetAccounts() {
		orgOK = orgOK || (a.OrgId == r.Org.ID && proto.Equal(a.PublicKey, r.admin))
	}
	for _, v := range g.Doc.Validators {
		valOK = valOK || bytes.Equal(v.PubKey.Bytes(), r.valPK)
	}
	return orgOK && valOK
}

// Save validates the genesis as a node would load it and writes it to path.
func (g *CeremonyGenesis) Save(path string) error {
	appState, err := modules.GenesisJSON(g.App)
	if err != nil {
		return err
	}
	if err := app.ValidateGenesis(g.Doc.ChainID, appState); err != nil {
		return err
	}
	g.Doc.AppState = appState
	if err := g.Doc.ValidateAndComplete(); err != nil {
		return fmt.Errorf("invalid genesis: %w", err)
	}
	return g.Doc.SaveAs(path)
}

// Collected is what Collect added and the peers of every request read.
type Collected struct {
	Added, Present []string // organisations added, and those already in
	Peers          []string // ID@HOST:PORT of every request, in file order
}

// Collect adds every join request (*.json) in dir, in file name order, to
// the genesis of home: organisation and validator. A request the genesis
// already holds exactly (the coordinator's own) is kept as it is. Nothing
// is written unless every request is accepted.
func Collect(home, dir string, roles []membershippb.Role) (*Collected, error) {
	cfg, err := LoadCometConfig(home)
	if err != nil {
		return nil, err
	}
	g, err := LoadCeremonyGenesis(cfg.GenesisFile())
	if err != nil {
		return nil, err
	}
	requests, err := readJoinRequests(dir)
	if err != nil {
		return nil, err
	}
	out := &Collected{}
	for _, fr := range requests {
		f, r := fr.file, fr.request
		if slices.Contains(out.Peers, r.Peer()) {
			return nil, fmt.Errorf("%s: node %s is named by an earlier request too", f, r.NodeID)
		}
		out.Peers = append(out.Peers, r.Peer())
		if g.hasRequest(r) {
			out.Present = append(out.Present, r.Org.ID)
			continue
		}
		if err := g.AddOrg(r, roles); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if err := g.AddValidator(r); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out.Added = append(out.Added, r.Org.ID)
	}
	if err := g.Save(cfg.GenesisFile()); err != nil {
		return nil, err
	}
	return out, nil
}

// ReadPeers reads and checks every join request (*.json) in dir, in file
// name order, and returns their nodes as persistent_peers names them.
func ReadPeers(dir string) ([]string, error) {
	requests, err := readJoinRequests(dir)
	if err != nil {
		return nil, err
	}
	peers := make([]string, 0, len(requests))
	for _, fr := range requests {
		peers = append(peers, fr.request.Peer())
	}
	return peers, nil
}

// fileRequest is a join request and the file it came from.
type fileRequest struct {
	file    string
	request *JoinRequest
}

// readJoinRequests reads and checks every join request (*.json) in dir, in
// file name order; one that does not check fails them all.
func readJoinRequests(dir string) ([]fileRequest, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("no join requests (*.json) in %s", dir)
	}
	out := make([]fileRequest, 0, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		r, err := ParseJoinRequest(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out = append(out, fileRequest{file: f, request: r})
	}
	return out, nil
}

// GenesisHash is the SHA-256 of a genesis file's bytes: what the members of
// a ceremony compare before they start, since each node must hold the very
// same file.
func GenesisHash(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// GenesisSummary is what `lineaged genesis validate` shows of a genesis.
type GenesisSummary struct {
	ChainID    string             `json:"chain_id"`
	Hash       string             `json:"genesis_hash"`
	Orgs       []GenesisOrg       `json:"orgs"`
	Validators []GenesisValidator `json:"validators"`
	TotalPower string             `json:"total_power"`
	Warnings   []string           `json:"warnings,omitempty"`
}

// GenesisOrg is an organisation of a genesis and its accounts' addresses.
type GenesisOrg struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Accounts []string `json:"accounts"`
}

// GenesisValidator is a validator of a genesis with its share of power.
type GenesisValidator struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Power   string `json:"power"`
	Share   string `json:"share"`
}

// ValidateGenesisFile checks the genesis file at path as a node starting
// from it would, and summarises it.
func ValidateGenesisFile(path string) (*GenesisSummary, error) {
	g, err := LoadCeremonyGenesis(path)
	if err != nil {
		return nil, err
	}
	appState, err := modules.GenesisJSON(g.App)
	if err != nil {
		return nil, err
	}
	if err := app.ValidateGenesis(g.Doc.ChainID, appState); err != nil {
		return nil, fmt.Errorf("%s: app_state: %w", path, err)
	}
	hash, err := GenesisHash(path)
	if err != nil {
		return nil, err
	}
	s := &GenesisSummary{ChainID: g.Doc.ChainID, Hash: hash}
	for _, o := range g.App.GetMembership().GetOrgs() {
		org := GenesisOrg{ID: o.Id, Name: o.Name, Accounts: []string{}}
		for _, a := range g.App.GetMembership().GetAccounts() {
			if a.OrgId == o.Id {
				org.Accounts = append(org.Accounts, keys.Address(a.PublicKey))
			}
		}
		s.Orgs = append(s.Orgs, org)
	}
	var total int64
	for _, v := range g.Doc.Validators {
		total += v.Power
	}
	for _, v := range g.Doc.Validators {
		s.Validators = append(s.Validators, GenesisValidator{Name: v.Name, Address: v.Address.String(),
			Power: strconv.FormatInt(v.Power, 10), Share: fmt.Sprintf("%.1f%%", 100*float64(v.Power)/float64(total))})
		if 3*v.Power >= total && len(g.Doc.Validators) > 1 {
			s.Warnings = append(s.Warnings, fmt.Sprintf("validator %s holds %d of %d voting power, a third or more: while it is down the chain makes no blocks", v.Name, v.Power, total))
		}
	}
	s.TotalPower = strconv.FormatInt(total, 10)
	return s, nil
}

// Installed is what InstallGenesis did.
type Installed struct {
	Hash      string   `json:"genesis_hash"`
	Validator bool     `json:"validator"`
	Peers     []string `json:"persistent_peers"`
	Notes     []string `json:"notes,omitempty"`
}

// InstallGenesis makes the genesis file at path that of home, byte for
// byte, and points home's node at peers (its own entry, if there, left
// out). The home must be of the same chain and must not have run yet: a
// node that made blocks from another genesis cannot follow this one.
func InstallGenesis(home, path string, peers []string) (*Installed, error) {
	cfg, err := LoadCometConfig(home)
	if err != nil {
		return nil, err
	}
	if _, err := ValidateGenesisFile(path); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	newDoc, err := cmttypes.GenesisDocFromJSON(data)
	if err != nil {
		return nil, err
	}
	if old, err := cmttypes.GenesisDocFromFile(cfg.GenesisFile()); err == nil && old.ChainID != newDoc.ChainID {
		return nil, fmt.Errorf("%s was initialised for chain %q; this genesis is of %q (run lineaged init --chain-id %s for it)", home, old.ChainID, newDoc.ChainID, newDoc.ChainID)
	}
	if ran, err := hasBlocks(cfg); err != nil {
		return nil, err
	} else if ran {
		return nil, fmt.Errorf("%s has run a chain already (%s is not empty): a node that made blocks from another genesis cannot follow this one; initialise a new home for it", home, cfg.DBDir())
	}
	nodeKey, err := p2p.LoadNodeKey(cfg.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("failed to read the node key: %w", err)
	}
	out := &Installed{Peers: []string{}}
	private := false
	for _, p := range peers {
		id, addr, ok := strings.Cut(strings.TrimSpace(p), "@")
		if !ok {
			return nil, fmt.Errorf("peer %q: want NODE_ID@HOST:PORT", p)
		}
		if id == string(nodeKey.ID()) {
			// This node itself: what it should say it listens at.
			cfg.P2P.ExternalAddress = addr
			continue
		}
		na, err := p2p.NewNetAddressString(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("peer %q: %w", p, err)
		}
		private = private || !na.Routable()
		out.Peers = append(out.Peers, strings.TrimSpace(p))
	}
	cfg.P2P.PersistentPeers = strings.Join(out.Peers, ",")
	if private {
		// CometBFT's strict address book ignores private and loopback
		// addresses, which a consortium's private network uses.
		cfg.P2P.AddrBookStrict = false
		out.Notes = append(out.Notes, "peers on private or loopback addresses: p2p.addr_book_strict = false")
	}
	pv := privval.LoadFilePVEmptyState(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	for _, v := range newDoc.Validators {
		out.Validator = out.Validator || bytes.Equal(v.PubKey.Bytes(), pv.Key.PubKey.Bytes())
	}
	if !out.Validator {
		out.Notes = append(out.Notes, "this node's validator key is not in the genesis: it will follow the chain without voting")
	}
	if err := writeFileAtomic(cfg.GenesisFile(), data); err != nil {
		return nil, err
	}
	cmtcfg.WriteConfigFile(filepath.Join(home, "config", "config.toml"), cfg)
	if err := writeInitialClientConfig(home, cfg.RPC.ListenAddress, newDoc.ChainID); err != nil {
		return nil, err
	}
	if out.Hash, err = GenesisHash(cfg.GenesisFile()); err != nil {
		return nil, err
	}
	return out, nil
}

// hasBlocks reports whether a node has stored anything in home's data
// directory beyond its validator's signing state.
func hasBlocks(cfg *cmtcfg.Config) (bool, error) {
	entries, err := os.ReadDir(cfg.DBDir())
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, e := range entries {
		switch e.Name() {
		case filepath.Base(cfg.PrivValidatorStateFile()), "lineaged.lock":
		default:
			return true, nil
		}
	}
	return false, nil
}

// writeFileAtomic replaces path with data, never leaving half a file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

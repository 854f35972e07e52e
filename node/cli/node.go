package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	cmtversion "github.com/cometbft/cometbft/version"
	"github.com/spf13/cobra"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/node"
	"github.com/lineageledger/lineaged/node/keyring"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	"github.com/lineageledger/lineaged/x/membership"
)

func (e *env) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the software and protocol versions",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v := map[string]any{
				"version":     app.SoftwareVersion(),
				"app_version": jsonInt(modules.AppVersion),
				"cometbft":    cometVersion(),
				"go":          runtime.Version(),
			}
			if e.json() {
				return printJSON(e.stdout, v)
			}
			fmt.Fprintf(e.stdout, "lineaged %s (app protocol %d, CometBFT %s, %s)\n", v["version"], modules.AppVersion, v["cometbft"], v["go"])
			return nil
		},
	}
}

func (e *env) initCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a node home for a new single-validator chain",
		Long: `Create a node home: CometBFT config, app.toml, node and validator keys, and
a genesis whose consortium is one organisation with one admin account.

The admin key is taken from the keyring (--admin-key, created if missing) or
given as --admin-pubkey TYPE:HEX for a key held elsewhere.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e.bind(cmd)
			// Check everything before the admin key is created.
			roles, err := membership.ParseRoles(e.v.GetString("admin-roles"))
			if err != nil {
				return err
			}
			if err := membership.ValidateOrgID(e.v.GetString("org-id")); err != nil {
				return fmt.Errorf("--org-id: %w", err)
			}
			if _, err := os.Stat(filepath.Join(e.home(), "config", "genesis.json")); err == nil && !e.v.GetBool("overwrite") {
				return fmt.Errorf("%w: %s holds a chain (use --overwrite to replace config and genesis)", node.ErrInitialized, e.home())
			}
			pub, keyName, err := e.adminKey()
			if err != nil {
				return err
			}
			doc, err := node.Init(node.InitOptions{
				Home: e.home(), ChainID: e.v.GetString("chain-id"), Moniker: e.v.GetString("moniker"),
				OrgID: e.v.GetString("org-id"), OrgName: e.v.GetString("org-name"),
				Admin: pub, AdminRoles: roles, Overwrite: e.v.GetBool("overwrite"),
				ListenHost: e.v.GetString("listen-host"),
			})
			if err != nil {
				return err
			}
			out := map[string]string{"home": e.home(), "chain_id": doc.ChainID, "admin_address": keys.Address(pub), "admin_key": keyName}
			if e.json() {
				return printJSON(e.stdout, out)
			}
			fmt.Fprintf(e.stdout, "initialized %s\n  chain id: %s\n  admin:    %s (key %q)\nstart it with: lineaged start --home %s\n", e.home(), doc.ChainID, keys.Address(pub), keyName, e.home())
			return nil
		},
	}
	cmd.Flags().String("chain-id", "lineage-1", "chain id")
	cmd.Flags().String("moniker", hostname(), "this node's name")
	cmd.Flags().String("org-id", "", "founding organisation id (required)")
	cmd.Flags().String("org-name", "", "founding organisation display name (required)")
	cmd.Flags().String("admin-key", "admin", "keyring key of the founding admin (created if missing)")
	cmd.Flags().String("admin-key-type", "ed25519", "type of the admin key if it is created")
	cmd.Flags().String("admin-pubkey", "", "founding admin public key TYPE:HEX instead of a keyring key")
	cmd.Flags().String("admin-roles", "all", "roles of the founding admin, comma-separated")
	cmd.Flags().Bool("overwrite", false, "replace existing config and genesis (data is kept)")
	cmd.Flags().String("listen-host", "", "bind every listener (P2P, RPC, APIs, metrics) to this IP, each on its usual port")
	keyringFlags(cmd)
	must(cmd.MarkFlagRequired("org-id"))
	must(cmd.MarkFlagRequired("org-name"))
	return cmd
}

// adminKey resolves init's founding admin key.
func (e *env) adminKey() (pub *keysv1.PublicKey, name string, err error) {
	if s := e.v.GetString("admin-pubkey"); s != "" {
		pub, err := parsePublicKey(s, 0)
		return pub, "", err
	}
	name = e.v.GetString("admin-key")
	kr := e.keyring()
	info, err := kr.Show(name)
	if errors.Is(err, keyring.ErrNotFound) {
		t, terr := keys.ParseType(e.v.GetString("admin-key-type"))
		if terr != nil {
			return nil, "", terr
		}
		if info, err = kr.Add(name, t); err != nil {
			return nil, "", err
		}
		fmt.Fprintf(e.stderr, "created key %q (%s) in %s\n", name, info.Address, kr.Dir())
	}
	if err != nil {
		return nil, "", err
	}
	pub, err = info.Public()
	return pub, name, err
}

func (e *env) startCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Run the node",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e.bind(cmd)
			defer e.releaseHome()
			n, err := e.loadNode(e.home(), "")
			if err != nil {
				return err
			}
			return e.run(n, func() error { e.noteClientConfig(e.home(), n); return nil })
		},
	}
	nodeFlags(cmd)
	return cmd
}

func nodeFlags(cmd *cobra.Command) {
	cmd.Flags().String("rpc.laddr", "", "CometBFT RPC listen address (overrides config.toml)")
	cmd.Flags().String("p2p.laddr", "", "P2P listen address (overrides config.toml)")
	cmd.Flags().String("p2p.persistent_peers", "", "comma-separated ID@host:port peers (overrides config.toml)")
	cmd.Flags().String("api.grpc_address", "", "gRPC query API address (overrides app.toml)")
	cmd.Flags().String("api.rest_address", "", "REST API address (overrides app.toml)")
	cmd.Flags().String("log.level", "", "log level (overrides app.toml)")
	cmd.Flags().String("log.format", "", "log format: plain or json (overrides app.toml)")
}

// hugePageInterval is how often a node marks new mappings for huge pages:
// often enough that an arena the heap maps under load is marked before
// most of it has been touched.
const hugePageInterval = time.Second

// loadNode reads a home's configs, applies flag overrides and builds the node.
func (e *env) loadNode(home, defaultLogLevel string) (*node.Node, error) {
	cmt, err := node.LoadCometConfig(home)
	if err != nil {
		return nil, err
	}
	if err := e.holdHome(home); err != nil {
		return nil, err
	}
	for flag, dst := range map[string]*string{
		"rpc.laddr": &cmt.RPC.ListenAddress, "p2p.laddr": &cmt.P2P.ListenAddress,
		"p2p.persistent_peers": &cmt.P2P.PersistentPeers,
	} {
		if s := e.v.GetString(flag); s != "" {
			*dst = s
		}
	}
	// Flags with empty defaults must not mask app.toml: only set ones count.
	cv := node.NewViper()
	for _, key := range []string{"api.grpc_address", "api.rest_address", "log.level", "log.format"} {
		if s := e.v.GetString(key); s != "" {
			cv.Set(key, s)
		}
	}
	if defaultLogLevel != "" && e.v.GetString("log.level") == "" && os.Getenv("LINEAGED_LOG_LEVEL") == "" {
		cv.Set("log.level", defaultLogLevel)
	}
	cfg, err := node.LoadConfig(home, cv)
	if err != nil {
		return nil, err
	}
	logger, err := node.NewLogger(e.stderr, cfg.Log)
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	// The process runs one node, so its runtime is the node's to tune.
	rt := node.ApplyRuntime(cfg.Runtime, os.Getenv)
	logger.Info("Go runtime", "settings", rt.String())
	n, err := node.New(home, cmt, cfg, logger)
	if err != nil {
		return nil, explainLocked(home, err)
	}
	// After New: the state store maps its node ring there, and the first
	// pass should find it before it fills.
	e.hugePages = node.StartHugePages(cfg.Runtime.HugePages, hugePageInterval)
	logger.Info("Huge pages", "state", e.hugePages.String())
	return n, nil
}

// run starts n, calls ready once the first block is committed, and stops
// the node gracefully on SIGINT or SIGTERM.
func (e *env) run(n *node.Node, ready func() error) error {
	if e.hugePages != nil {
		defer e.hugePages.Stop()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := n.Start(); err != nil {
		return err
	}
	if ready != nil {
		if err := n.WaitForHeight(ctx, 1); err == nil {
			if err := ready(); err != nil {
				n.Stop()
				return err
			}
		}
	}
	<-ctx.Done()
	fmt.Fprintln(e.stderr, "shutting down")
	return n.Stop()
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "lineaged"
	}
	return h
}

func cometVersion() string { return cmtversion.CMTSemVer }

// devMarker marks a home created by `lineaged dev`, the only kind --reset
// may delete.
const devMarker = ".lineaged-dev"

// Dev chain identity.
const (
	devChainID = "lineage-dev"
	devKeyName = "dev-admin"
	devOrgID   = "dev"
)

func defaultDevHome() string {
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".lineaged-dev")
	}
	return ".lineaged-dev"
}

func (e *env) devCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a single-validator dev chain with dev keys",
		Long: `Run a single-validator chain for development in a home of its own
(default ~/.lineaged-dev unless --home or $LINEAGED_HOME is set). On first run it
creates the chain: a dev consortium with one organisation ("dev") and one admin
account ("dev-admin") holding every role, whose key is kept in an UNENCRYPTED
dev-only keyring. State persists across restarts; --reset starts over.
P2P listens on loopback (127.0.0.1:26656) unless --p2p.laddr says otherwise.

Listen addresses given as flags (--rpc.laddr, --p2p.laddr, --api.*) are kept
in the home's config.toml and app.toml for later runs. Every start points the
home's config/client.toml at the chain (its RPC address and chain id), so
commands run with LINEAGED_HOME set to this home reach it without --node.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e.bind(cmd)
			home, err := filepath.Abs(e.home())
			if err != nil {
				return err
			}
			reset := e.v.GetBool("reset")
			if reset {
				// Never delete the home of a running chain.
				if err := probeHome(home); err != nil {
					return err
				}
			}
			if err := prepareDevHome(home, reset); err != nil {
				return err
			}
			// Before anything is written: a second dev on this home must
			// change nothing.
			if err := e.holdHome(home); err != nil {
				return err
			}
			defer e.releaseHome()
			kr, err := keyring.CreateDev(filepath.Join(home, "keyring"), e.stderr)
			if err != nil {
				return err
			}
			info, err := kr.Show(devKeyName)
			if errors.Is(err, keyring.ErrNotFound) {
				info, err = kr.Add(devKeyName, keysv1.KeyType_KEY_TYPE_ED25519)
			}
			if err != nil {
				return err
			}
			pub, err := info.Public()
			if err != nil {
				return err
			}
			if _, err := os.Stat(filepath.Join(home, "config", "genesis.json")); errors.Is(err, os.ErrNotExist) {
				if _, err := node.Init(node.InitOptions{
					Home: home, ChainID: devChainID, Moniker: "dev-validator",
					OrgID: devOrgID, OrgName: "Dev Consortium", Admin: pub, Dev: true,
				}); err != nil {
					return err
				}
			}
			if err := e.devP2PDefault(home); err != nil {
				return err
			}
			if err := e.keepDevListeners(cmd, home); err != nil {
				return err
			}
			n, err := e.loadNode(home, "state:info,*:error")
			if err != nil {
				return err
			}
			return e.run(n, func() error {
				if err := e.pointClientAt(home, n); err != nil {
					return err
				}
				return e.printDevBanner(home, n, info)
			})
		},
	}
	// Its own --home, so that its help shows its own default.
	cmd.Flags().String("home", defaultDevHome(), "the dev chain's home directory (env LINEAGED_HOME)")
	cmd.Flags().Bool("reset", false, "delete the dev chain's state and keys first")
	nodeFlags(cmd)
	return cmd
}

// devP2PDefault keeps a dev chain's P2P listener on loopback unless
// --p2p.laddr (or $LINEAGED_P2P_LADDR) says otherwise. New dev homes are
// written that way; one written before, whose config.toml listens on every
// interface, is moved to loopback on the same port, with a note.
func (e *env) devP2PDefault(home string) error {
	if e.v.GetString("p2p.laddr") != "" {
		return nil
	}
	cmt, err := node.LoadCometConfig(home)
	if err != nil {
		return err
	}
	if laddr, moved := devP2PAddress(cmt.P2P.ListenAddress); moved {
		fmt.Fprintf(e.stderr, "note: dev chain P2P listens on %s, not on every interface as %s says; pass --p2p.laddr to choose\n",
			laddr, filepath.Join(home, "config", "config.toml"))
		e.v.Set("p2p.laddr", laddr)
	}
	return nil
}

// devP2PAddress moves a TCP listen address on every interface (0.0.0.0,
// ::, or no host) to loopback on the same port, and reports whether it did.
func devP2PAddress(laddr string) (string, bool) {
	rest := strings.TrimPrefix(laddr, "tcp://")
	if strings.Contains(rest, "://") {
		return laddr, false // another scheme: not a TCP address
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil || port == "" {
		return laddr, false
	}
	if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
		return laddr, false
	}
	return "tcp://" + net.JoinHostPort("127.0.0.1", port), true
}

// prepareDevHome creates (or with reset, recreates) a dev home, refusing
// to touch a directory that is not one.
func prepareDevHome(home string, reset bool) error {
	entries, err := os.ReadDir(home)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("failed to read %s: %w", home, err)
	}
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(home, devMarker)); err != nil {
			return fmt.Errorf("%s is not empty and was not created by `lineaged dev`; refusing to use it", home)
		}
		if reset {
			if err := os.RemoveAll(home); err != nil {
				return fmt.Errorf("failed to reset %s: %w", home, err)
			}
		}
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", home, err)
	}
	return os.WriteFile(filepath.Join(home, devMarker), []byte("created by lineaged dev; `lineaged dev --reset` may delete this directory\n"), 0o600)
}

func (e *env) printDevBanner(home string, n *node.Node, info *keyring.Info) error {
	rpc := httpAddr(n.RPCAddress())
	if e.json() {
		return printJSON(e.stdout, map[string]string{
			"home": home, "chain_id": n.ChainID(), "rpc": rpc, "grpc_api": n.APIAddress(), "rest_api": "http://" + n.RESTAddress(),
			"admin_key": info.Name, "admin_address": info.Address, "admin_public_key": info.Type + ":" + info.PublicKey,
			"keyring": filepath.Join(home, "keyring"), "keyring_encrypted": "false",
		})
	}
	fmt.Fprintf(e.stdout, `Lineage Ledger dev chain is running (single validator).
  home:        %s
  chain id:    %s
  RPC:         %s
  gRPC API:    %s
  REST API:    %s  (OpenAPI at /v1/openapi.json)
  admin key:   %s  %s  (%s, every role, org %q)
  keyring:     %s
               DEV ONLY: this keyring is UNENCRYPTED. Never use its keys elsewhere.

Try, in another terminal (this home's config/client.toml points lineaged at
this chain: its RPC address and chain id):
  export LINEAGED_HOME=%s
  lineaged query membership org %s
  lineaged keys add alice && lineaged tx membership add-account --key alice --roles data-steward --from %s
With another home, add: --node %s --chain-id %s

Stop with Ctrl-C; state is kept. Start over with: lineaged dev --reset
`, home, n.ChainID(), rpc, n.APIAddress(), "http://"+n.RESTAddress(), info.Name, info.Address, info.Type, devOrgID,
		filepath.Join(home, "keyring"), home, devOrgID, info.Name, node.ClientNodeAddress(n.RPCAddress()), n.ChainID())
	return nil
}

// httpAddr turns a tcp:// listen address into a URL clients can use.
func httpAddr(laddr string) string {
	if rest, ok := strings.CutPrefix(laddr, "tcp://"); ok {
		return "http://" + rest
	}
	return laddr
}

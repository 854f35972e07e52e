package node

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/spf13/viper"

	"github.com/lineageledger/lineaged/app/store"
)

// EnvPrefix prefixes every environment variable that overrides settings:
// LINEAGED_STATE_DB_BACKEND overrides [state] db_backend, and so on.
const EnvPrefix = "LINEAGED"

// maxNodeCacheMiB bounds state.node_cache_mib: 64 GiB.
const maxNodeCacheMiB = 64 << 10

// minReceiptBytes is the least api.max_receipt_bytes: headers, commit and
// validator set alone take a few KiB.
const minReceiptBytes = 16 << 10

// Config is the application's own settings, kept in config/app.toml beside
// CometBFT's config.toml. Precedence: file, then LINEAGED_* environment
// variables, then command-line flags.
type Config struct {
	State   StateConfig   `mapstructure:"state"`
	API     APIConfig     `mapstructure:"api"`
	Log     LogConfig     `mapstructure:"log"`
	Runtime RuntimeConfig `mapstructure:"runtime"`
	Mempool MempoolConfig `mapstructure:"mempool"`
}

// MempoolConfig is how the application checks transactions for the
// mempool (CometBFT's own mempool settings are in config.toml).
type MempoolConfig struct {
	// RunHandlers has CheckTx run every message's handler, so that a
	// transaction bound to fail is refused at the broadcast instead of
	// failing in a block (app.App.SetCheckHandlers).
	RunHandlers bool `mapstructure:"run_handlers"`
}

// StateConfig says how the state tree is stored.
type StateConfig struct {
	// DBBackend is pebbledb (default) or goleveldb.
	DBBackend string `mapstructure:"db_backend"`
	// SyncWrites fsyncs every commit: state survives power loss, not only a
	// crash of the process.
	SyncWrites bool `mapstructure:"sync_writes"`
	// KeepRecent, if positive, keeps only that many recent versions. Zero
	// (the default) keeps every version, as an audit ledger should.
	KeepRecent int64 `mapstructure:"keep_recent"`
	// IAVLCacheSize is the number of tree nodes cached in memory (by each
	// of the two trees: the one blocks write and the one queries read).
	IAVLCacheSize int `mapstructure:"iavl_cache_size"`
	// DBCacheMiB is pebbledb's block cache in MiB.
	DBCacheMiB int `mapstructure:"db_cache_mib"`
	// NodeCacheMiB holds encoded tree nodes in memory outside the Go heap,
	// below the trees' node caches; 0 turns it off.
	NodeCacheMiB int `mapstructure:"node_cache_mib"`
	// SnapshotInterval takes a state-sync snapshot every that many heights
	// (0: none); new nodes can join from them instead of replaying history.
	SnapshotInterval int64 `mapstructure:"snapshot_interval"`
	// SnapshotKeepRecent is how many snapshots are kept (0: all).
	SnapshotKeepRecent int `mapstructure:"snapshot_keep_recent"`
}

// APIConfig configures the query APIs the node serves besides CometBFT's
// RPC: gRPC, and REST/JSON under /v1 (with an OpenAPI document).
type APIConfig struct {
	// GRPCAddress is where the gRPC query API listens; empty disables it.
	GRPCAddress string `mapstructure:"grpc_address"`
	// RESTAddress is where the REST API listens; empty disables it.
	RESTAddress string `mapstructure:"rest_address"`
	// TLSCertFile and TLSKeyFile, both set, serve both APIs over TLS.
	TLSCertFile string `mapstructure:"tls_cert_file"`
	TLSKeyFile  string `mapstructure:"tls_key_file"`
	// MaxRequestBytes bounds one request.
	MaxRequestBytes int `mapstructure:"max_request_bytes"`
	// CORSAllowedOrigins may call the REST API from browsers
	// ("https://audit.example.org", or "*").
	CORSAllowedOrigins []string `mapstructure:"cors_allowed_origins"`
	// RateLimit is the requests per second allowed per client address,
	// with bursts of RateBurst, on both APIs together: one token bucket per
	// client for REST requests, gRPC calls and gRPC streams.
	RateLimit float64 `mapstructure:"rate_limit"`
	RateBurst int     `mapstructure:"rate_burst"`
	// MaxConcurrentProofs is how many queries with proofs (receipts, REST
	// prove=true, ABCI queries with prove) the node builds at once; more
	// are refused, to retry shortly (app.ProofLimits).
	MaxConcurrentProofs int `mapstructure:"max_concurrent_proofs"`
	// MaxReceiptBytes bounds a receipt, and the answer and proofs of an ABCI
	// query with prove as sent in JSON; larger ones are refused with a
	// message saying how to ask for less.
	MaxReceiptBytes int `mapstructure:"max_receipt_bytes"`
}

// Defaults of the bounds on proofs. A proof build is one goroutine's work:
// about a millisecond for a gate check's receipt, a fraction of a second
// at the size bound (a 15 MB walk took two seconds), allocating six to
// seven times the size of its proofs. Four at once keep a node's garbage
// from proofs under about a hundred megabytes (sixteen unbounded walks took
// one from 129 MB to 737 MB) while leaving room for small receipts beside
// a large one; a fifth is refused rather than queued. Receipts of 4 MB hold
// a walk of several hundred datasets (a gate check's receipt is about
// 50 KiB) and fit the 4 MiB message a gRPC client accepts by default.
const (
	DefaultMaxConcurrentProofs = 4
	DefaultMaxReceiptBytes     = 4_000_000
)

// LogConfig configures the node's log.
type LogConfig struct {
	// Level is debug, info or error; CometBFT's per-module form
	// ("consensus:debug,*:info") is accepted too.
	Level string `mapstructure:"level"`
	// Format is plain or json.
	Format string `mapstructure:"format"`
}

// RuntimeConfig tunes the Go runtime of a node process (see runtime.go).
type RuntimeConfig struct {
	// GCPercent is the garbage collector's target: the heap may grow by
	// this percentage of the live heap before a collection. Go's own default
	// is 100; GOGC, if set, wins.
	GCPercent int `mapstructure:"gc_percent"`
	// MemoryLimitMiB, if positive, is a soft limit on the process's Go
	// memory: near it the collector runs as often as it must. GOMEMLIMIT, if
	// set, wins.
	MemoryLimitMiB int64 `mapstructure:"memory_limit_mib"`
	// HugePages has the node mark its large memory (the Go heap, the node
	// ring, the database's caches) for transparent huge pages where the
	// kernel gives them only on request (hugepages.go).
	HugePages bool `mapstructure:"huge_pages"`
}

// DefaultConfig is what `lineaged init` writes.
func DefaultConfig() *Config {
	return &Config{
		State: StateConfig{DBBackend: "pebbledb", SyncWrites: true, IAVLCacheSize: store.DefaultCacheSize, DBCacheMiB: store.DefaultDBCacheMiB, NodeCacheMiB: store.DefaultNodeBytesMiB, SnapshotKeepRecent: 2},
		API: APIConfig{GRPCAddress: "127.0.0.1:9090", RESTAddress: "127.0.0.1:1317", MaxRequestBytes: 64 << 10,
			RateLimit: 20, RateBurst: 40, MaxConcurrentProofs: DefaultMaxConcurrentProofs, MaxReceiptBytes: DefaultMaxReceiptBytes},
		Log:     LogConfig{Level: "info", Format: "plain"},
		Runtime: RuntimeConfig{GCPercent: DefaultGCPercent, HugePages: true},
	}
}

// Validate fills defaults and rejects nonsense.
func (c *Config) Validate() error {
	d := DefaultConfig()
	if c.State.DBBackend == "" {
		c.State.DBBackend = d.State.DBBackend
	}
	if !slices.Contains(store.Backends, c.State.DBBackend) || c.State.DBBackend == "memdb" {
		return fmt.Errorf("state.db_backend %q: want pebbledb or goleveldb", c.State.DBBackend)
	}
	if c.State.KeepRecent < 0 {
		return fmt.Errorf("state.keep_recent %d: must not be negative", c.State.KeepRecent)
	}
	if c.State.KeepRecent > 0 && c.State.KeepRecent < 2 {
		return errors.New("state.keep_recent must be 0 (keep all) or at least 2")
	}
	if c.State.IAVLCacheSize <= 0 {
		c.State.IAVLCacheSize = d.State.IAVLCacheSize
	}
	if c.State.DBCacheMiB <= 0 {
		c.State.DBCacheMiB = d.State.DBCacheMiB
	}
	if c.State.NodeCacheMiB < 0 || c.State.NodeCacheMiB > maxNodeCacheMiB {
		return fmt.Errorf("state.node_cache_mib %d: must be 0 (off) to %d", c.State.NodeCacheMiB, maxNodeCacheMiB)
	}
	if c.State.SnapshotInterval < 0 || c.State.SnapshotKeepRecent < 0 {
		return errors.New("state.snapshot_interval and state.snapshot_keep_recent must not be negative")
	}
	if (c.API.TLSCertFile == "") != (c.API.TLSKeyFile == "") {
		return errors.New("api.tls_cert_file and api.tls_key_file must be set together")
	}
	if c.API.MaxRequestBytes <= 0 {
		c.API.MaxRequestBytes = d.API.MaxRequestBytes
	}
	if c.API.RateLimit < 0 || c.API.RateBurst < 0 {
		return errors.New("api.rate_limit and api.rate_burst must not be negative")
	}
	if c.API.RateLimit == 0 {
		c.API.RateLimit, c.API.RateBurst = d.API.RateLimit, d.API.RateBurst
	}
	if c.API.MaxConcurrentProofs < 0 {
		return fmt.Errorf("api.max_concurrent_proofs %d: must not be negative (0: the default, %d)", c.API.MaxConcurrentProofs, d.API.MaxConcurrentProofs)
	}
	if c.API.MaxConcurrentProofs == 0 {
		c.API.MaxConcurrentProofs = d.API.MaxConcurrentProofs
	}
	if c.API.MaxReceiptBytes < 0 {
		return fmt.Errorf("api.max_receipt_bytes %d: must not be negative (0: the default, %d)", c.API.MaxReceiptBytes, d.API.MaxReceiptBytes)
	}
	if c.API.MaxReceiptBytes == 0 {
		c.API.MaxReceiptBytes = d.API.MaxReceiptBytes
	}
	if c.API.MaxReceiptBytes < minReceiptBytes {
		return fmt.Errorf("api.max_receipt_bytes %d: must be at least %d, the size of a receipt with nearly no proofs", c.API.MaxReceiptBytes, minReceiptBytes)
	}
	if c.Log.Level == "" {
		c.Log.Level = d.Log.Level
	}
	if c.Runtime.GCPercent == 0 {
		c.Runtime.GCPercent = d.Runtime.GCPercent
	}
	if c.Runtime.GCPercent < 10 {
		return fmt.Errorf("runtime.gc_percent %d: must be at least 10 (Go's default is 100)", c.Runtime.GCPercent)
	}
	if c.Runtime.MemoryLimitMiB < 0 {
		return fmt.Errorf("runtime.memory_limit_mib %d: must not be negative (0: no limit)", c.Runtime.MemoryLimitMiB)
	}
	switch c.Log.Format {
	case "":
		c.Log.Format = d.Log.Format
	case "plain", "json":
	default:
		return fmt.Errorf("log.format %q: want plain or json", c.Log.Format)
	}
	return nil
}

// AppConfigPath is where a home keeps the application config.
func AppConfigPath(home string) string { return filepath.Join(home, "config", "app.toml") }

// NewViper returns a viper that reads LINEAGED_* environment variables,
// with "." and "-" in keys mapped to "_".
func NewViper() *viper.Viper {
	v := viper.New()
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_", "-", "_"))
	v.AutomaticEnv()
	return v
}

// LoadConfig reads home's app.toml through v, which may already carry bound
// flags; environment variables and flags override the file.
func LoadConfig(home string, v *viper.Viper) (*Config, error) {
	c := DefaultConfig()
	setDefaults(v, c)
	v.SetConfigFile(AppConfigPath(home))
	v.SetConfigType("toml")
	if err := v.ReadInConfig(); err != nil && !errors.Is(err, os.ErrNotExist) {
		var nf viper.ConfigFileNotFoundError
		if !errors.As(err, &nf) {
			return nil, fmt.Errorf("failed to read %s: %w", AppConfigPath(home), err)
		}
	}
	if err := v.Unmarshal(c); err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", AppConfigPath(home), err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("invalid config %s: %w", AppConfigPath(home), err)
	}
	return c, nil
}

// setDefaults registers every key so that environment variables are seen
// even for keys absent from the file.
func setDefaults(v *viper.Viper, c *Config) {
	v.SetDefault("state.db_backend", c.State.DBBackend)
	v.SetDefault("state.sync_writes", c.State.SyncWrites)
	v.SetDefault("state.keep_recent", c.State.KeepRecent)
	v.SetDefault("state.iavl_cache_size", c.State.IAVLCacheSize)
	v.SetDefault("state.db_cache_mib", c.State.DBCacheMiB)
	v.SetDefault("state.node_cache_mib", c.State.NodeCacheMiB)
	v.SetDefault("state.snapshot_interval", c.State.SnapshotInterval)
	v.SetDefault("state.snapshot_keep_recent", c.State.SnapshotKeepRecent)
	v.SetDefault("api.grpc_address", c.API.GRPCAddress)
	v.SetDefault("api.rest_address", c.API.RESTAddress)
	v.SetDefault("api.cors_allowed_origins", c.API.CORSAllowedOrigins)
	v.SetDefault("api.rate_limit", c.API.RateLimit)
	v.SetDefault("api.rate_burst", c.API.RateBurst)
	v.SetDefault("api.tls_cert_file", c.API.TLSCertFile)
	v.SetDefault("api.tls_key_file", c.API.TLSKeyFile)
	v.SetDefault("api.max_request_bytes", c.API.MaxRequestBytes)
	v.SetDefault("api.max_concurrent_proofs", c.API.MaxConcurrentProofs)
	v.SetDefault("api.max_receipt_bytes", c.API.MaxReceiptBytes)
	v.SetDefault("log.level", c.Log.Level)
	v.SetDefault("log.format", c.Log.Format)
	v.SetDefault("runtime.gc_percent", c.Runtime.GCPercent)
	v.SetDefault("runtime.memory_limit_mib", c.Runtime.MemoryLimitMiB)
	v.SetDefault("runtime.huge_pages", c.Runtime.HugePages)
	v.SetDefault("mempool.run_handlers", c.Mempool.RunHandlers)
}

var appTOML = template.Must(template.New("app.toml").Parse(`# Lineage Ledger application settings (CometBFT's own are in config.toml).
# Environment variables override this file: LINEAGED_<SECTION>_<KEY>, e.g.
# LINEAGED_STATE_DB_BACKEND=goleveldb. Command-line flags override both.

[state]
# Database engine for the state tree: pebbledb or goleveldb.
db_backend = "{{.State.DBBackend}}"
# Fsync every commit, so committed state survives power loss.
sync_writes = {{.State.SyncWrites}}
# Versions to keep: 0 keeps every version (the default: the chain is an audit
# ledger and historical proofs need old versions); N >= 2 keeps the last N.
keep_recent = {{.State.KeepRecent}}
# Tree nodes cached in memory by each of the two trees (writer and readers),
# roughly 300 bytes a node: keep the upper levels of the tree in memory.
iavl_cache_size = {{.State.IAVLCacheSize}}
# pebbledb's block cache, in MiB.
db_cache_mib = {{.State.DBCacheMiB}}
# Encoded tree nodes kept in memory (outside the Go heap), in MiB, so that a
# write to a large tree does not look its lower levels up in the database;
# 0 turns it off. Raise it as the state grows: lineaged_db_node_cache_misses_total
# climbing once the cache is full means it is too small for the tree.
node_cache_mib = {{.State.NodeCacheMiB}}
# Take a state-sync snapshot every N heights (0: none), so new nodes can join
# without replaying all history; keep the newest snapshot_keep_recent (0: all).
# Snapshots live in data/snapshots.
snapshot_interval = {{.State.SnapshotInterval}}
snapshot_keep_recent = {{.State.SnapshotKeepRecent}}

[api]
# gRPC query API address; empty disables it.
grpc_address = "{{.API.GRPCAddress}}"
# REST/JSON API address (routes under /v1, OpenAPI at /v1/openapi.json);
# empty disables it.
rest_address = "{{.API.RESTAddress}}"
# Serve both APIs over TLS when both are set (PEM files).
tls_cert_file = "{{.API.TLSCertFile}}"
tls_key_file = "{{.API.TLSKeyFile}}"
# Largest request accepted, in bytes.
max_request_bytes = {{.API.MaxRequestBytes}}
# Browser origins allowed to call the REST API, e.g. ["https://audit.example.org"].
cors_allowed_origins = [{{range $i, $o := .API.CORSAllowedOrigins}}{{if $i}}, {{end}}"{{$o}}"{{end}}]
# Requests per second per client address, and the burst allowed, on both
# APIs together (REST requests, gRPC calls and streams share one bucket).
rate_limit = {{.API.RateLimit}}
rate_burst = {{.API.RateBurst}}
# Queries with proofs (receipts, prove=true, ABCI queries with prove) built
# at once; more are refused, to retry in a moment.
max_concurrent_proofs = {{.API.MaxConcurrentProofs}}
# Largest receipt, in bytes (and largest proven ABCI answer, as sent in
# JSON); a query whose receipt would be larger is refused with a message
# saying how to ask for less. Receipts over 4194304 bytes need gRPC clients
# to raise their receive limit.
max_receipt_bytes = {{.API.MaxReceiptBytes}}

[log]
# debug, info or error (or CometBFT's per-module form, "consensus:debug,*:info").
level = "{{.Log.Level}}"
# plain or json.
format = "{{.Log.Format}}"

[runtime]
# Garbage collector target: the Go heap may grow this many percent over the
# live heap (mostly the caches above) before a collection. Go's default is
# 100; a loaded node spent about a fifth of its CPU collecting at 100. The
# GOGC environment variable, if set, takes precedence.
gc_percent = {{.Runtime.GCPercent}}
# Soft limit on the node's Go memory in MiB (0: none). Near it the collector
# runs as often as needed, whatever gc_percent says. GOMEMLIMIT, if set,
# takes precedence.
memory_limit_mib = {{.Runtime.MemoryLimitMiB}}
# Back the node's large memory (the Go heap, node_cache_mib, the database's
# caches) with transparent huge pages where the kernel gives them only on
# request (/sys/kernel/mm/transparent_hugepage/enabled is "madvise"). A node
# reads those structures at random, and with 4 KiB pages each read tends to
# miss the TLB, which costs most on virtual machines.
huge_pages = {{.Runtime.HugePages}}

[mempool]
# Run every message's handler when checking a transaction for the mempool,
# not only the checks that decide whether a block may hold it (signature,
# sequence, role...), so that a transaction bound to fail (a digest already
# registered, an unknown input) is refused at the broadcast, with its
# handler's error, instead of failing in a block with its sequence spent.
# It executes each transaction once more on this node: worth it on a node
# that takes clients' transactions and passes them on, not on a validator,
# which checks every transaction its peers send too.
run_handlers = {{.Mempool.RunHandlers}}
`))

// WriteConfig writes c to home's app.toml.
func WriteConfig(home string, c *Config) error {
	var buf bytes.Buffer
	if err := appTOML.Execute(&buf, c); err != nil {
		return fmt.Errorf("failed to render app.toml: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(AppConfigPath(home)), 0o755); err != nil {
		return fmt.Errorf("failed to create config dir: %w", err)
	}
	return os.WriteFile(AppConfigPath(home), buf.Bytes(), 0o644)
}

// LoadCometConfig reads home's config/config.toml into CometBFT's config.
func LoadCometConfig(home string) (*cmtcfg.Config, error) {
	conf := cmtcfg.DefaultConfig()
	path := filepath.Join(home, "config", "config.toml")
	v := viper.New()
	v.SetConfigFile(path)
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("failed to read %s (run `lineaged init` first): %w", path, err)
	}
	if err := v.Unmarshal(conf); err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", path, err)
	}
	conf.SetRoot(home)
	if err := conf.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("invalid %s: %w", path, err)
	}
	return conf, nil
}

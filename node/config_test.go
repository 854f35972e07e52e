package node

import (
	"github.com/lineageledger/lineaged/app/store"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
)

// TestConfigPrecedence: app.toml, then LINEAGED_* variables, then flags.
func TestConfigPrecedence(t *testing.T) {
	home := t.TempDir()
	if err := WriteConfig(home, DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	// The file says goleveldb and keeps 100 versions.
	path := AppConfigPath(home)
	b, _ := os.ReadFile(path)
	b = []byte(strings.Replace(strings.Replace(string(b), `db_backend = "pebbledb"`, `db_backend = "goleveldb"`, 1), "keep_recent = 0", "keep_recent = 100", 1))
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LINEAGED_STATE_KEEP_RECENT", "50")
	t.Setenv("LINEAGED_LOG_FORMAT", "json")
	v := NewViper()
	v.Set("log.format", "plain") // as a flag would
	cfg, err := LoadConfig(home, v)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.State.DBBackend != "goleveldb" {
		t.Errorf("db_backend = %q, want the file's goleveldb", cfg.State.DBBackend)
	}
	if cfg.State.KeepRecent != 50 {
		t.Errorf("keep_recent = %d, want the environment's 50", cfg.State.KeepRecent)
	}
	if cfg.Log.Format != "plain" {
		t.Errorf("log.format = %q, want the flag's plain", cfg.Log.Format)
	}
	if !cfg.Runtime.HugePages {
		t.Error("runtime.huge_pages is off by default")
	}
	t.Setenv("LINEAGED_RUNTIME_HUGE_PAGES", "false")
	if cfg, err = LoadConfig(home, NewViper()); err != nil {
		t.Fatal(err)
	}
	if cfg.Runtime.HugePages {
		t.Error("LINEAGED_RUNTIME_HUGE_PAGES=false left huge_pages on")
	}
	if cfg.Mempool.RunHandlers {
		t.Error("mempool.run_handlers is on by default")
	}
	t.Setenv("LINEAGED_MEMPOOL_RUN_HANDLERS", "true")
	if cfg, err = LoadConfig(home, NewViper()); err != nil {
		t.Fatal(err)
	}
	if !cfg.Mempool.RunHandlers {
		t.Error("LINEAGED_MEMPOOL_RUN_HANDLERS=true left run_handlers off")
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"memdb is not a node backend", func(c *Config) { c.State.DBBackend = "memdb" }, "db_backend"},
		{"negative keep_recent", func(c *Config) { c.State.KeepRecent = -1 }, "keep_recent"},
		{"keep_recent of one", func(c *Config) { c.State.KeepRecent = 1 }, "keep_recent"},
		{"TLS cert without key", func(c *Config) { c.API.TLSCertFile = "cert.pem" }, "tls_key_file"},
		{"unknown log format", func(c *Config) { c.Log.Format = "xml" }, "log.format"},
		{"collector target too low", func(c *Config) { c.Runtime.GCPercent = 5 }, "runtime.gc_percent"},
		{"collector disabled", func(c *Config) { c.Runtime.GCPercent = -1 }, "runtime.gc_percent"},
		{"negative node cache", func(c *Config) { c.State.NodeCacheMiB = -1 }, "state.node_cache_mib"},
		{"node cache too large", func(c *Config) { c.State.NodeCacheMiB = maxNodeCacheMiB + 1 }, "state.node_cache_mib"},
		{"negative memory limit", func(c *Config) { c.Runtime.MemoryLimitMiB = -1 }, "runtime.memory_limit_mib"},
		{"negative proofs at once", func(c *Config) { c.API.MaxConcurrentProofs = -1 }, "api.max_concurrent_proofs"},
		{"negative receipt bound", func(c *Config) { c.API.MaxReceiptBytes = -1 }, "api.max_receipt_bytes"},
		{"receipt bound below any receipt", func(c *Config) { c.API.MaxReceiptBytes = 1000 }, "api.max_receipt_bytes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want an error about %s", err, tc.want)
			}
		})
	}
	// A file without the newer keys still loads, with defaults.
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, "config"), 0o755)
	os.WriteFile(AppConfigPath(home), []byte("[log]\nlevel = \"error\"\n"), 0o644)
	cfg, err := LoadConfig(home, NewViper())
	if err != nil || cfg.State.DBBackend != "pebbledb" || cfg.Log.Level != "error" || !cfg.State.SyncWrites ||
		cfg.Runtime.GCPercent != DefaultGCPercent || cfg.Runtime.MemoryLimitMiB != 0 || cfg.State.NodeCacheMiB != store.DefaultNodeBytesMiB ||
		cfg.API.MaxConcurrentProofs != DefaultMaxConcurrentProofs || cfg.API.MaxReceiptBytes != DefaultMaxReceiptBytes {
		t.Fatalf("partial file: %+v, %v", cfg, err)
	}
	// The runtime section is written, and read back from the environment.
	t.Setenv("LINEAGED_RUNTIME_GC_PERCENT", "150")
	t.Setenv("LINEAGED_RUNTIME_MEMORY_LIMIT_MIB", "2048")
	t.Setenv("LINEAGED_API_MAX_CONCURRENT_PROOFS", "2")
	if err := WriteConfig(home, DefaultConfig()); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(AppConfigPath(home)); !strings.Contains(string(b), "gc_percent = 400") ||
		!strings.Contains(string(b), "max_receipt_bytes = 4000000") || !strings.Contains(string(b), "max_concurrent_proofs = 4") {
		t.Fatalf("app.toml lacks the runtime section:\n%s", b)
	}
	cfg, err = LoadConfig(home, NewViper())
	if err != nil || cfg.Runtime.GCPercent != 150 || cfg.Runtime.MemoryLimitMiB != 2048 || cfg.API.MaxConcurrentProofs != 2 {
		t.Fatalf("runtime from the environment: %+v, %v", cfg.Runtime, err)
	}
}

// TestProposalBudget: a proposer executes for a third of the propose
// timeout, whatever that is set to.
func TestProposalBudget(t *testing.T) {
	for _, tc := range []struct{ propose, want time.Duration }{
		{3 * time.Second, time.Second},
		{time.Second, time.Second / 3},
		{0, 0},
	} {
		cfg := cmtcfg.DefaultConfig()
		cfg.Consensus.TimeoutPropose = tc.propose
		if got := ProposalBudget(cfg); got != tc.want {
			t.Errorf("timeout_propose %v: budget %v, want %v", tc.propose, got, tc.want)
		}
	}
}

package node

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"unicode"

	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/spf13/viper"
)

// DefaultClientNode is the node the CLI talks to when nothing says
// otherwise: CometBFT's RPC on this machine, on its standard port.
const DefaultClientNode = "tcp://127.0.0.1:26657"

// ClientConfig is how the lineaged command line talks to a node, kept in
// the home's config/client.toml (as Cosmos SDK chains keep theirs). `lineaged
// init`, `dev` and `testnet` write it from the listeners the node uses; flags
// and LINEAGED_NODE, LINEAGED_CHAIN_ID and LINEAGED_OUTPUT override it.
type ClientConfig struct {
	// Node is the CometBFT RPC address commands talk to:
	// tcp://HOST:PORT, http(s)://HOST[:PORT][/PATH], or unix://PATH.
	Node string `mapstructure:"node"`
	// ChainID is the chain that node must report being on; commands refuse
	// a node of another chain. Empty: no check.
	ChainID string `mapstructure:"chain-id"`
	// Output is text or json.
	Output string `mapstructure:"output"`
}

// ClientConfigKeys are the settings of client.toml, in the order the file
// and `lineaged config get` list them.
var ClientConfigKeys = []string{"node", "chain-id", "output"}

// DefaultClientConfig is the client config of a home that has none.
func DefaultClientConfig() *ClientConfig {
	return &ClientConfig{Node: DefaultClientNode, Output: "text"}
}

// Validate fills defaults and rejects nonsense.
func (c *ClientConfig) Validate() error {
	d := DefaultClientConfig()
	if c.Node == "" {
		c.Node = d.Node
	}
	if c.Output == "" {
		c.Output = d.Output
	}
	c.Output = strings.ToLower(c.Output)
	for _, key := range ClientConfigKeys {
		v, _ := c.Get(key)
		if err := ValidateClientSetting(key, v); err != nil {
			return err
		}
	}
	return nil
}

// Get returns the setting key (one of [ClientConfigKeys]).
func (c *ClientConfig) Get(key string) (string, error) {
	switch canonicalClientKey(key) {
	case "node":
		return c.Node, nil
	case "chain-id":
		return c.ChainID, nil
	case "output":
		return c.Output, nil
	}
	return "", unknownClientKey(key)
}

// Set validates value and sets key (one of [ClientConfigKeys]) to it.
func (c *ClientConfig) Set(key, value string) error {
	key = canonicalClientKey(key)
	if err := ValidateClientSetting(key, value); err != nil {
		return err
	}
	switch key {
	case "node":
		c.Node = value
	case "chain-id":
		c.ChainID = value
	case "output":
		c.Output = strings.ToLower(value)
	}
	return nil
}

// canonicalClientKey accepts chain_id for chain-id.
func canonicalClientKey(key string) string { return strings.ReplaceAll(strings.ToLower(key), "_", "-") }

func unknownClientKey(key string) error {
	return fmt.Errorf("unknown client setting %q: want one of %s", key, strings.Join(ClientConfigKeys, ", "))
}

// ValidateClientSetting checks one value of client.toml.
func ValidateClientSetting(key, value string) error {
	switch canonicalClientKey(key) {
	case "node":
		if err := ValidateNodeAddress(value); err != nil {
			return fmt.Errorf("node %q: %w", value, err)
		}
	case "chain-id":
		if err := ValidateChainID(value); err != nil {
			return fmt.Errorf("chain-id %q: %w", value, err)
		}
	case "output":
		if o := strings.ToLower(value); o != "text" && o != "json" {
			return fmt.Errorf("output %q: want text or json", value)
		}
	default:
		return unknownClientKey(key)
	}
	return nil
}

// nodeSchemes are the schemes CometBFT's RPC client dials.
var nodeSchemes = []string{"tcp", "http", "https", "unix"}

// ValidateNodeAddress checks that s is an address CometBFT's RPC client can
// dial: tcp://HOST:PORT (HOST:PORT alone means tcp), http(s)://HOST[:PORT]
// with an optional path, or unix://PATH.
func ValidateNodeAddress(s string) error {
	if s == "" {
		return errors.New("empty address")
	}
	if strings.ContainsFunc(s, unicode.IsSpace) {
		return errors.New("an address has no spaces")
	}
	if _, err := strconv.Atoi(s); err == nil {
		return fmt.Errorf("a port alone: give the host too, e.g. tcp://127.0.0.1:%s", s)
	}
	if !strings.Contains(s, "://") {
		s = "tcp://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	if !slices.Contains(nodeSchemes, u.Scheme) {
		return fmt.Errorf("scheme %q: want one of %s", u.Scheme, strings.Join(nodeSchemes, ", "))
	}
	if u.Scheme == "unix" {
		if u.Host+u.Path == "" {
			return errors.New("want unix://PATH")
		}
		return nil
	}
	if u.Hostname() == "" {
		return errors.New("no host: want tcp://HOST:PORT or http(s)://HOST[:PORT]")
	}
	port := u.Port()
	if port == "" && u.Scheme == "tcp" {
		return errors.New("no port: want tcp://HOST:PORT (CometBFT's RPC listens on 26657 by default)")
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q is not a port number", port)
		}
	}
	if u.Scheme == "tcp" && strings.Trim(u.Path, "/") != "" {
		return errors.New("a tcp:// address has no path (use http:// for a node behind a path)")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("an address has no query, fragment or user")
	}
	return nil
}

// ValidateChainID checks a chain id as CometBFT bounds it, and as a shell
// can pass it: at most 50 characters, none of them spaces or control
// characters. Empty is valid in a client config: it turns the check off.
func ValidateChainID(s string) error {
	if len(s) > cmttypes.MaxChainIDLen {
		return fmt.Errorf("longer than %d characters", cmttypes.MaxChainIDLen)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '"' || r == '\\' }) {
		return errors.New("a chain id has no spaces, quotes, backslashes or control characters")
	}
	return nil
}

// ClientConfigPath is where a home keeps the client config.
func ClientConfigPath(home string) string { return filepath.Join(home, "config", "client.toml") }

// LoadClientConfig reads home's client.toml; a home without one gets
// [DefaultClientConfig] and exists false. Environment variables are not
// read here: the command line applies them, with its flags, over the file.
// Unknown keys are refused, so that a misspelt one is not silently ignored.
func LoadClientConfig(home string) (c *ClientConfig, exists bool, err error) {
	c, exists, err = readClientConfig(home)
	if err != nil {
		return nil, exists, err
	}
	if err := c.Validate(); err != nil {
		return nil, exists, fmt.Errorf("invalid %s: %w (change it with `lineaged config set`)", ClientConfigPath(home), err)
	}
	return c, exists, nil
}

// readClientConfig parses home's client.toml without validating its values,
// so that `lineaged config set` can repair a bad one.
func readClientConfig(home string) (*ClientConfig, bool, error) {
	path := ClientConfigPath(home)
	c := &ClientConfig{}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return DefaultClientConfig(), false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("failed to read %s: %w", path, err)
	}
	v := viper.New()
	v.SetConfigType("toml")
	if err := v.ReadConfig(bytes.NewReader(b)); err != nil {
		return nil, true, fmt.Errorf("failed to parse %s (fix or delete it): %w", path, err)
	}
	if err := v.UnmarshalExact(c); err != nil {
		return nil, true, fmt.Errorf("failed to parse %s (its settings: %s; fix or delete it): %w", path, strings.Join(ClientConfigKeys, ", "), err)
	}
	return c, true, nil
}

var clientTOML = template.Must(template.New("client.toml").Funcs(template.FuncMap{"q": tomlString}).Parse(
	`# How lineaged commands talk to a node (as Cosmos SDK chains' client.toml).
# Flags win over LINEAGED_NODE, LINEAGED_CHAIN_ID and LINEAGED_OUTPUT, which
# win over this file. Change it with: lineaged config set KEY VALUE

# CometBFT RPC address of the node: tcp://HOST:PORT, http(s)://HOST[:PORT][/PATH]
# or unix://PATH.
node = {{q .Node}}
# The chain the node must be on: commands refuse a node that reports another
# chain id. Empty turns the check off.
chain-id = {{q .ChainID}}
# Output format: text or json.
output = {{q .Output}}
`))

// tomlString quotes a validated value as a TOML basic string.
func tomlString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// WriteClientConfig validates c and writes it to home's client.toml.
func WriteClientConfig(home string, c *ClientConfig) error {
	if err := c.Validate(); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := clientTOML.Execute(&buf, c); err != nil {
		return fmt.Errorf("failed to render client.toml: %w", err)
	}
	path := ClientConfigPath(home)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("failed to create config dir: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	return nil
}

// UpdateClientConfig reads home's client.toml (or the defaults), lets
// update change it, and writes it back; it returns the config before and
// after.
func UpdateClientConfig(home string, update func(*ClientConfig)) (before, after ClientConfig, err error) {
	c, _, err := readClientConfig(home)
	if err != nil {
		return before, after, err
	}
	before = *c
	update(c)
	if err := WriteClientConfig(home, c); err != nil {
		return before, after, err
	}
	return before, *c, nil
}

// ClientNodeAddress turns an RPC listen address into the address a client
// on the same machine dials: a listener on every interface (0.0.0.0, ::,
// or no host) is reached on loopback.
func ClientNodeAddress(laddr string) string {
	scheme, rest, ok := strings.Cut(laddr, "://")
	if !ok {
		scheme, rest = "tcp", laddr
	}
	if scheme != "tcp" && scheme != "http" && scheme != "https" {
		return laddr
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		return laddr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// writeInitialClientConfig points home's client config at the node being
// initialised: its RPC listener and its chain. The output format a user
// chose is kept.
func writeInitialClientConfig(home, rpcListenAddress, chainID string) error {
	_, _, err := UpdateClientConfig(home, func(c *ClientConfig) {
		c.Node, c.ChainID = ClientNodeAddress(rpcListenAddress), chainID
	})
	return err
}

package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/lineageledger/lineaged/app/modules"
	"github.com/lineageledger/lineaged/node"
	"github.com/lineageledger/lineaged/node/keyring"
)

// env is the viper every command reads flags and LINEAGED_* variables from.
type env struct {
	v      *viper.Viper
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	kr     *keyring.Keyring // opened once per command
	// mods is the module table the tx and query commands are built from.
	mods *modules.Table
	// hugePages is the huge page advice of the node this command runs.
	hugePages *node.HugePages
	// warnedFiles are the passphrase files this command has warned about
	// being readable by others, so that one opening several keyrings
	// warns once per file.
	warnedFiles sync.Map
	// client is the home's client.toml (clientconfig.go), read once;
	// clientExists says whether the home has one.
	client       *node.ClientConfig
	clientExists bool
	// out is the output format resolved before the command runs.
	out string
	// homeLock is this command's hold on the home of the node it runs.
	homeLock *node.HomeLock
}

// envFlags are the flags LINEAGED_<FLAG> variables may set (dashes and
// dots as underscores): settings that belong to a machine or a session.
// Flags that describe one transaction or record (--name, --version,
// --reason...) are never read from the environment, so a stray variable
// cannot slip into something that gets signed.
var envFlags = []string{
	"home", "output", "node", "from", "keyring-dir", "passphrase-file", "signer-cmd", "wait",
	"rpc.laddr", "p2p.laddr", "p2p.persistent_peers",
}

func newCLIViper() *viper.Viper {
	v := viper.New()
	v.SetEnvPrefix(node.EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_", "-", "_"))
	for _, k := range envFlags {
		must(v.BindEnv(k))
	}
	return v
}

// NewRootCmd builds the lineaged command tree.
func NewRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	return newRootCmd(stdin, stdout, stderr, modules.Default(), friendlyGroups)
}

// newRootCmd builds the command tree with the modules of t, and the
// hand-written commands of groups.
func newRootCmd(stdin io.Reader, stdout, stderr io.Writer, t *modules.Table, groups map[string]moduleGroups) *cobra.Command {
	e := &env{v: newCLIViper(), stdin: stdin, stdout: stdout, stderr: stderr, mods: t}
	root := &cobra.Command{
		Use:   "lineaged",
		Short: "Lineage Ledger: a permissioned chain for AI model provenance",
		Long: `lineaged runs a Lineage Ledger node and talks to one.

Lineage Ledger records dataset lineage, model versions, licences and
federated-learning commitments on a permissioned CometBFT chain run by a
consortium, and answers whether an exact model artefact may be deployed.

Start a local single-validator chain with:  lineaged dev`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.PersistentFlags().String("home", defaultHome(), "node and keyring home directory (env LINEAGED_HOME)")
	root.PersistentFlags().StringP("output", "o", "text", "output format: text or json")
	must(e.v.BindPFlag("home", root.PersistentFlags().Lookup("home")))
	must(e.v.BindPFlag("output", root.PersistentFlags().Lookup("output")))
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error { return e.prepare(cmd) }
	tx, query := e.txCmd(), e.queryCmd()
	root.AddCommand(
		e.initCmd(), e.startCmd(), e.devCmd(), e.versionCmd(),
		e.keysCmd(), tx, query, e.hashCmd(), e.verifyCmd(), e.gateCmd(), e.testnetCmd(), e.replayCmd(),
		e.benchCmd(), e.lightCmd(), e.configCmd(), e.genesisCmd(),
	)
	e.addModuleCmds(root, tx, query, t, groups)
	enforceUsage(root)
	return root
}

// Execute runs the command line and returns the process exit code.
func Execute(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return execute(NewRootCmd(stdin, stdout, stderr), args, stderr)
}

// execute runs root with args and returns the process exit code.
func execute(root *cobra.Command, args []string, stderr io.Writer) int {
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	code, msg := exitCode(err), err.Error()
	asJSON := jsonRequested(root, args)
	var ee *exitError
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		reportError(stderr, asJSON, msg, code, err)
		if !asJSON {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		return code
	case errors.As(err, &ee):
		if ee.msg == "" {
			return code
		}
		msg = ee.msg
	}
	reportError(stderr, asJSON, msg, code, err)
	return code
}

// exitError ends the process with a specific code.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func defaultHome() string {
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".lineaged")
	}
	return ".lineaged"
}

func (e *env) home() string   { return expandHome(e.v.GetString("home")) }
func (e *env) output() string { return e.outputFormat() }
func (e *env) json() bool     { return e.output() == "json" }

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, rest)
		}
	}
	return p
}

// bind makes a command's flags readable through viper; for [envFlags],
// LINEAGED_<FLAG> variables fill flags left unset.
func (e *env) bind(cmd *cobra.Command) {
	must(e.v.BindPFlags(cmd.Flags()))
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

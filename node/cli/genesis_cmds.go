package cli

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lineageledger/lineaged/node"
	"github.com/lineageledger/lineaged/x/membership"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// genesisCmd holds the commands of a genesis ceremony (docs/consortium.md).
func (e *env) genesisCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "genesis",
		Short: "Form a network from several organisations: join requests, one genesis, its hash",
		Long: `A genesis ceremony forms a network from organisations on separate machines
(docs/consortium.md walks through one with three):

  1. each organisation: lineaged init, then lineaged genesis join-request
     > ORG.json, and sends that file to the coordinator;
  2. the coordinator (one of them): lineaged genesis collect DIR, with every
     request in DIR (its own too), then lineaged genesis validate, and sends
     genesis.json and "lineaged genesis peers DIR" to everyone;
  3. each organisation: lineaged genesis install genesis.json --peers ...,
     compares the genesis hash it prints with everyone else's, and starts.`,
	}
	cmd.AddCommand(e.joinRequestCmd(), e.addOrgCmd(), e.addValidatorCmd(), e.collectCmd(), e.validateGenesisCmd(), e.peersCmd(), e.installGenesisCmd())
	return cmd
}

func (e *env) joinRequestCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "join-request",
		Short: "Write this home's request to join a network: its organisation, admin, validator and node",
		Long: `Write, as JSON on stdout, the join request of a home fresh from "lineaged init":
the chain id, the organisation and its founding admin's public key (from the
home's genesis), the validator's consensus key, the node id, and --p2p-address,
where the other organisations' nodes will reach this one. The validator key
signs the request, so the coordinator can tell it was not altered on its way
and that whoever sent it holds that key. Nothing secret is in it.`,
		Example: `  lineaged genesis join-request --home acme --p2p-address node.acme.example:26656 > acme.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e.bind(cmd)
			r, err := node.NewJoinRequest(e.home(), e.v.GetString("p2p-address"), e.v.GetInt64("power"))
			if err != nil {
				return err
			}
			if e.json() {
				return printJSON(e.stdout, r)
			}
			b, err := r.Marshal()
			if err != nil {
				return err
			}
			_, err = e.stdout.Write(b)
			fmt.Fprintf(e.stderr, "join request of %s (admin %s, node %s); send it to the coordinator\n", r.Org.ID, r.AdminAddress(), r.Peer())
			return err
		},
	}
	cmd.Flags().String("p2p-address", "", "HOST:PORT where the other validators reach this node's P2P (required)")
	cmd.Flags().Int64("power", node.DefaultValidatorPower, "voting power the validator asks for")
	must(cmd.MarkFlagRequired("p2p-address"))
	return cmd
}

// readJoinRequest reads and checks one join request file.
func readJoinRequest(path string) (*node.JoinRequest, error) {
	data, err := os.ReadFile(expandHome(path))
	if err != nil {
		return nil, err
	}
	r, err := node.ParseJoinRequest(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// adminRolesFlag adds --admin-roles, the roles of a joining organisation's
// admin.
func adminRolesFlag(cmd *cobra.Command) {
	cmd.Flags().String("admin-roles", "", "roles of each joining organisation's admin, comma-separated (default: every role but consortium-admin)")
}

func (e *env) joiningRoles() ([]membershippb.Role, error) {
	s := e.v.GetString("admin-roles")
	if s == "" {
		return node.JoiningAdminRoles(), nil
	}
	roles, err := membership.ParseRoles(s)
	if err != nil {
		return nil, usagef("--admin-roles: %v", err)
	}
	return roles, nil
}

// editGenesis applies edit to the home's genesis and writes it back if
// edit and the whole genesis's validation succeed.
func (e *env) editGenesis(edit func(g *node.CeremonyGenesis) error) error {
	cfg, err := node.LoadCometConfig(e.home())
	if err != nil {
		return err
	}
	if err := e.holdStoppedHome(); err != nil {
		return err
	}
	defer e.releaseHome()
	g, err := node.LoadCeremonyGenesis(cfg.GenesisFile())
	if err != nil {
		return err
	}
	if err := edit(g); err != nil {
		return err
	}
	return g.Save(cfg.GenesisFile())
}

func (e *env) addOrgCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add-org REQUEST.json",
		Short: "Add a join request's organisation and its admin to this home's genesis",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			roles, err := e.joiningRoles()
			if err != nil {
				return err
			}
			r, err := readJoinRequest(args[0])
			if err != nil {
				return err
			}
			if err := e.editGenesis(func(g *node.CeremonyGenesis) error { return g.AddOrg(r, roles) }); err != nil {
				return err
			}
			return e.reportAdded("org", r)
		},
	}
	adminRolesFlag(cmd)
	return cmd
}

func (e *env) addValidatorCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "add-validator REQUEST.json",
		Short: "Add a join request's validator, with the power it asks for, to this home's genesis",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			r, err := readJoinRequest(args[0])
			if err != nil {
				return err
			}
			if err := e.editGenesis(func(g *node.CeremonyGenesis) error { return g.AddValidator(r) }); err != nil {
				return err
			}
			return e.reportAdded("validator", r)
		},
	}
}

func (e *env) reportAdded(what string, r *node.JoinRequest) error {
	if e.json() {
		return printJSON(e.stdout, map[string]string{"added": what, "org": r.Org.ID, "peer": r.Peer()})
	}
	fmt.Fprintf(e.stdout, "added %s of %s to %s\n", what, r.Org.ID, e.home())
	return nil
}

func (e *env) collectCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "collect DIR",
		Short: "Add every join request in DIR (organisation and validator) to this home's genesis",
		Long: `Add every join request (*.json) in DIR, in file name order, to the genesis of
this home: each organisation with its admin (every role but consortium-admin,
which the coordinator's own organisation holds from init, unless --admin-roles
says otherwise) and each validator. The coordinator's own request, which the
genesis already holds, is kept as it is. Nothing is written unless every
request is accepted. Prints the genesis hash and the peers, for
"lineaged genesis install".`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			roles, err := e.joiningRoles()
			if err != nil {
				return err
			}
			if err := e.holdStoppedHome(); err != nil {
				return err
			}
			defer e.releaseHome()
			c, err := node.Collect(e.home(), expandHome(args[0]), roles)
			if err != nil {
				return err
			}
			cfg, err := node.LoadCometConfig(e.home())
			if err != nil {
				return err
			}
			hash, err := node.GenesisHash(cfg.GenesisFile())
			if err != nil {
				return err
			}
			if e.json() {
				return printJSON(e.stdout, map[string]any{"genesis": cfg.GenesisFile(), "genesis_hash": hash,
					"added": nonNil(c.Added), "present": nonNil(c.Present), "peers": strings.Join(c.Peers, ",")})
			}
			fmt.Fprintf(e.stdout, "genesis:  %s\n  added:   %s\n  present: %s\n  hash:    %s\npeers:\n%s\n",
				cfg.GenesisFile(), orNone(c.Added), orNone(c.Present), hash, strings.Join(c.Peers, ","))
			fmt.Fprintf(e.stderr, "send the genesis and the peers to every organisation: lineaged genesis install genesis.json --peers PEERS\n")
			return nil
		},
	}
	adminRolesFlag(cmd)
	return cmd
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "(none)"
	}
	return strings.Join(s, ", ")
}

func (e *env) validateGenesisCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate [GENESIS]",
		Short: "Check a genesis as a node would load it, and print its hash for everyone to compare",
		Long: `Check GENESIS (default: this home's) as a node starting from it would, and
print its chain id, organisations, validators with their share of the voting
power, and its hash: the SHA-256 of the file's bytes, which every organisation
compares before starting, since every node must hold the very same file.
Warns where one validator's absence alone would stop the chain.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			path := ""
			if len(args) == 1 {
				path = expandHome(args[0])
			} else {
				cfg, err := node.LoadCometConfig(e.home())
				if err != nil {
					return err
				}
				path = cfg.GenesisFile()
			}
			s, err := node.ValidateGenesisFile(path)
			if err != nil {
				return err
			}
			for _, w := range s.Warnings {
				fmt.Fprintln(e.stderr, "warning:", w)
			}
			if e.json() {
				return printJSON(e.stdout, s)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "chain id\t%s\n", s.ChainID)
			for _, o := range s.Orgs {
				fmt.Fprintf(tw, "org\t%s\t%s\t%s\n", o.ID, o.Name, strings.Join(o.Accounts, ","))
			}
			for _, v := range s.Validators {
				fmt.Fprintf(tw, "validator\t%s\t%s\tpower %s (%s)\n", v.Name, v.Address, v.Power, v.Share)
			}
			fmt.Fprintf(tw, "genesis hash\t%s\n", s.Hash)
			return tw.Flush()
		},
	}
}

func (e *env) peersCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "peers DIR",
		Short: "Print the nodes of the join requests in DIR as --peers takes them",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			peers, err := node.ReadPeers(expandHome(args[0]))
			if err != nil {
				return err
			}
			if e.json() {
				return printJSON(e.stdout, map[string]string{"peers": strings.Join(peers, ",")})
			}
			fmt.Fprintln(e.stdout, strings.Join(peers, ","))
			return nil
		},
	}
}

func (e *env) installGenesisCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "install GENESIS",
		Short: "Make GENESIS this home's, byte for byte, and point its node at the peers",
		Long: `Check GENESIS and make it this home's genesis, byte for byte; set the node's
persistent peers from --peers (its own entry, if there, sets the address it
tells others instead); point client.toml at the chain. Refuses a genesis of
another chain than the home's, and a home whose node has already made blocks.
Prints the genesis hash: compare it with every other organisation's.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			if err := e.holdStoppedHome(); err != nil {
				return err
			}
			defer e.releaseHome()
			var peers []string
			for _, p := range strings.Split(e.v.GetString("peers"), ",") {
				if p = strings.TrimSpace(p); p != "" {
					peers = append(peers, p)
				}
			}
			in, err := node.InstallGenesis(e.home(), expandHome(args[0]), peers)
			if err != nil {
				return err
			}
			for _, n := range in.Notes {
				fmt.Fprintln(e.stderr, "note:", n)
			}
			if e.json() {
				return printJSON(e.stdout, in)
			}
			fmt.Fprintf(e.stdout, "installed genesis %s in %s (%d peers); compare the hash with every other organisation's, then: lineaged start --home %s\n",
				in.Hash, e.home(), len(in.Peers), e.home())
			return nil
		},
	}
	cmd.Flags().String("peers", "", "NODE_ID@HOST:PORT of the other nodes, comma-separated, as genesis collect printed them")
	return cmd
}

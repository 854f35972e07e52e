package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/node/client"
	"github.com/lineageledger/lineaged/node/keyring"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
	"github.com/lineageledger/lineaged/x/membership"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

func (e *env) txCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tx",
		Short: "Sign and submit transactions",
		Long: `Build a transaction, sign it with a keyring key (or an external signer),
broadcast it through CometBFT's RPC and wait until it is committed.

The account's sequence and the chain id are fetched from the node unless given.
With -o json the result is {"tx_hash","height","code","codespace","log","events"}.
The exit code is 0 when the transaction was committed and succeeded, 1 otherwise.

The node's mempool checks a transaction's signature, sequence and role, not its
message: a transaction whose message is refused (a digest already registered, an
input nobody registered) is included in a block, fails there and spends its
sequence. --dry-run runs it on the node as the next block would, message
included, and prints what would happen without broadcasting it (exit code 0 if
it would succeed; "simulated": true in JSON).

Keys can stay on a machine without network access: --generate-only writes the
unsigned transaction (for --from KEY, or --signer ADDRESS with no key at all;
--chain-id and --sequence spare asking a node), "lineaged tx sign FILE" signs
it offline, and "lineaged tx broadcast FILE" sends it from anywhere.`,
	}
	f := cmd.PersistentFlags()
	f.String("from", "", "keyring key to sign with (required, but for --generate-only --signer)")
	clientFlags(f)
	f.Uint64("sequence", 0, "account sequence to use instead of the node's")
	f.Uint64("timeout-height", 0, "void the transaction above this height")
	f.String("memo", "", "note attached to the transaction")
	f.String("signer-cmd", "", "sign with this external command instead of the key's private part")
	f.Duration("wait", 60*time.Second, "how long to wait for the commit")
	f.Bool("dry-run", false, "run the transaction on the node as the next block would, without broadcasting it")
	offlineTxFlags(f)
	keyringFlagsOn(cmd)
	cmd.AddCommand(e.txSignCmd(), e.txBroadcastCmd())
	return cmd
}

// keyringFlagsOn adds the keyring flags as persistent flags of cmd.
func keyringFlagsOn(cmd *cobra.Command) {
	tmp := &cobra.Command{}
	keyringFlags(tmp)
	cmd.PersistentFlags().AddFlagSet(tmp.Flags())
}

// buildFunc returns the message a transaction of s carries on chainID at
// sequence.
type buildFunc func(s keyring.Signer, chainID string, sequence uint64) (proto.Message, error)

// submit signs the message build returns, submits it, prints the result,
// and turns a failed transaction into exit code 1. With --generate-only it
// writes the unsigned transaction instead.
func (e *env) submit(cmd *cobra.Command, build buildFunc, after func(*client.Result) error) error {
	e.bind(cmd)
	if e.v.GetBool("generate-only") {
		return e.generateOnly(cmd, build)
	}
	if e.v.GetString("signer") != "" {
		return errors.New("--signer only goes with --generate-only: to sign, give --from KEY")
	}
	from := e.v.GetString("from")
	if from == "" {
		return errors.New("--from is required: the keyring key that signs")
	}
	signer, err := e.keyring().Signer(from, e.v.GetString("signer-cmd"))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), e.v.GetDuration("wait"))
	defer cancel()
	c, err := e.dial(ctx, cmd)
	if err != nil {
		return err
	}
	opts := client.TxOptions{TimeoutHeight: e.v.GetUint64("timeout-height"), Memo: e.v.GetString("memo")}
	if cmd.Flags().Changed("sequence") {
		seq := e.v.GetUint64("sequence")
		opts.Sequence = &seq
	}
	raw, err := c.BuildWith(ctx, signer, func(chainID string, seq uint64) (proto.Message, error) {
		msg, err := build(signer, chainID, seq)
		if err != nil {
			return nil, err
		}
		if err := declares(cmd, annotationRoute, e.routeOf(msg)); err != nil {
			return nil, err
		}
		return msg, nil
	}, opts)
	if err != nil {
		return err
	}
	return e.send(ctx, c, raw, after)
}

// send broadcasts raw and waits for its commit (or, with --dry-run, has
// the node simulate it), prints the result, and turns a failed transaction
// into exit code 1; after runs once one has been committed.
func (e *env) send(ctx context.Context, c *client.Client, raw []byte, after func(*client.Result) error) error {
	submit := c.Submit
	if e.v.GetBool("dry-run") {
		submit = c.Simulate
	}
	res, err := submit(ctx, raw)
	if err != nil {
		return err
	}
	if err := e.printResult(res); err != nil {
		return err
	}
	if !res.OK() {
		return &exitError{code: 1}
	}
	if after != nil && !res.Simulated {
		return after(res)
	}
	return nil
}

func (e *env) printResult(r *client.Result) error {
	if e.json() {
		if r.Events == nil {
			r.Events = []abci.Event{}
		}
		return printJSON(e.stdout, r)
	}
	switch {
	case r.Simulated && r.Code != 0:
		fmt.Fprintf(e.stdout, "tx %s would fail: %s (%s/%d); not broadcast\n", r.TxHash, r.Log, r.Codespace, r.Code)
	case r.Simulated:
		fmt.Fprintf(e.stdout, "tx %s would succeed; not broadcast\n", r.TxHash)
	case r.Height == 0:
		fmt.Fprintf(e.stdout, "tx %s rejected: %s (%s/%d)\n", r.TxHash, r.Log, r.Codespace, r.Code)
	case r.Code != 0:
		fmt.Fprintf(e.stdout, "tx %s failed at height %d: %s (%s/%d)\n", r.TxHash, r.Height, r.Log, r.Codespace, r.Code)
	default:
		fmt.Fprintf(e.stdout, "tx %s committed at height %d\n", r.TxHash, r.Height)
	}
	return nil
}

// resolveAddress accepts an address or the name of a keyring key.
func (e *env) resolveAddress(s string) (string, error) {
	if _, err := keys.ParseAddress(s); err == nil {
		return s, nil
	}
	info, err := e.keyring().Show(s)
	if err != nil {
		return "", fmt.Errorf("%q is neither an address nor a key in %s", s, e.keyringDir())
	}
	return info.Address, nil
}

// publicKeyFrom reads a public key from a --key keyring name or a
// --pubkey TYPE:HEX flag pair.
func (e *env) publicKeyFrom(keyFlag, pubFlag string) (*keysv1.PublicKey, error) {
	name, hexKey := e.v.GetString(keyFlag), e.v.GetString(pubFlag)
	switch {
	case name != "" && hexKey != "":
		return nil, fmt.Errorf("give --%s or --%s, not both", keyFlag, pubFlag)
	case name != "":
		info, err := e.keyring().Show(name)
		if err != nil {
			return nil, err
		}
		return info.Public()
	case hexKey != "":
		return parsePublicKey(hexKey, keysv1.KeyType_KEY_TYPE_ED25519)
	}
	return nil, fmt.Errorf("--%s or --%s is required", keyFlag, pubFlag)
}

func (e *env) membershipTxCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "membership", Short: "Organisations, accounts and roles"}

	createOrg := &cobra.Command{
		Use:         "create-org ORG_ID NAME",
		Annotations: runsRoute("membership.create_org"),
		Short:       "Admit an organisation with its first admin (needs consortium-admin)",
		Args:        cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.submit(cmd, func(keyring.Signer, string, uint64) (proto.Message, error) {
				pub, err := e.publicKeyFrom("admin-key", "admin-pubkey")
				if err != nil {
					return nil, err
				}
				roles, err := membership.ParseRoles(e.v.GetString("admin-roles"))
				if err != nil {
					return nil, err
				}
				return &membershippb.MsgCreateOrg{OrgId: args[0], Name: args[1], AdminPublicKey: pub, AdminRoles: roles,
					AdminLabel: e.v.GetString("admin-label"), Namespaces: e.v.GetStringSlice("namespaces")}, nil
			}, nil)
		},
	}
	createOrg.Flags().String("admin-key", "", "keyring key of the new organisation's admin")
	createOrg.Flags().String("admin-pubkey", "", "the new admin's public key as TYPE:HEX")
	createOrg.Flags().String("admin-roles", "admin", "roles of the new admin, comma-separated")
	createOrg.Flags().String("admin-label", "", "label of the new admin account")
	createOrg.Flags().StringSlice("namespaces", nil, "namespaces reserved for the organisation besides its id, comma-separated (scoped names under them are its to claim)")

	addAccount := &cobra.Command{
		Use:         "add-account",
		Annotations: runsRoute("membership.add_account"),
		Short:       "Add an account to your organisation (needs admin)",
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.submit(cmd, func(keyring.Signer, string, uint64) (proto.Message, error) {
				pub, err := e.publicKeyFrom("key", "pubkey")
				if err != nil {
					return nil, err
				}
				roles, err := membership.ParseRoles(e.v.GetString("roles"))
				if err != nil {
					return nil, err
				}
				return &membershippb.MsgAddAccount{PublicKey: pub, Roles: roles, Label: e.v.GetString("label")}, nil
			}, nil)
		},
	}
	addAccount.Flags().String("key", "", "keyring key of the new account")
	addAccount.Flags().String("pubkey", "", "the new account's public key as TYPE:HEX")
	addAccount.Flags().String("roles", "", "roles, comma-separated: "+rolesHelp())
	addAccount.Flags().String("label", "", "label of the account")

	setRoles := &cobra.Command{
		Use:         "set-roles ACCOUNT ROLES",
		Annotations: runsRoute("membership.set_roles"),
		Short:       "Replace the roles of an account of your organisation (needs admin)",
		Args:        cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.submit(cmd, func(keyring.Signer, string, uint64) (proto.Message, error) {
				addr, err := e.resolveAddress(args[0])
				if err != nil {
					return nil, err
				}
				roles, err := membership.ParseRoles(args[1])
				if err != nil {
					return nil, err
				}
				return &membershippb.MsgSetRoles{Address: addr, Roles: roles}, nil
			}, nil)
		},
	}

	suspend := &cobra.Command{
		Use:         "suspend ACCOUNT",
		Annotations: runsRoute("membership.suspend_account"),
		Short:       "Stop an account of your organisation from signing (needs admin)",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.submit(cmd, func(keyring.Signer, string, uint64) (proto.Message, error) {
				addr, err := e.resolveAddress(args[0])
				if err != nil {
					return nil, err
				}
				return &membershippb.MsgSuspendAccount{Address: addr, Reason: e.v.GetString("reason")}, nil
			}, nil)
		},
	}
	suspend.Flags().String("reason", "", "why (required, recorded on chain)")

	reinstate := &cobra.Command{
		Use:         "reinstate ACCOUNT",
		Annotations: runsRoute("membership.reinstate_account"),
		Short:       "Let a suspended account of your organisation sign again (needs admin)",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.submit(cmd, func(keyring.Signer, string, uint64) (proto.Message, error) {
				addr, err := e.resolveAddress(args[0])
				if err != nil {
					return nil, err
				}
				return &membershippb.MsgReinstateAccount{Address: addr}, nil
			}, nil)
		},
	}

	rotate := &cobra.Command{
		Use:         "rotate-key",
		Annotations: runsRoute("membership.rotate_key"),
		Short:       "Move your account to a new key (signed by the old one)",
		Long: `Replace the --from account's key with the keyring key --new-key. The new key
signs a proof of possession; the old key signs the transaction. Afterwards
--new-key signs for the account's unchanged address.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var newName, account string
			return e.submit(cmd, func(s keyring.Signer, chainID string, seq uint64) (proto.Message, error) {
				newName = e.v.GetString("new-key")
				if newName == "" {
					return nil, errors.New("--new-key is required")
				}
				newSigner, err := e.keyring().Signer(newName, "")
				if err != nil {
					return nil, err
				}
				account = s.Address()
				addr, err := keys.ParseAddress(account)
				if err != nil {
					return nil, err
				}
				proof, err := newSigner.Sign(membership.RotationSignBytes(chainID, addr, seq))
				if err != nil {
					return nil, fmt.Errorf("new key failed to sign its proof: %w", err)
				}
				return &membershippb.MsgRotateKey{NewPublicKey: newSigner.Public(), NewKeySignature: proof}, nil
			}, func(*client.Result) error {
				if err := e.keyring().SetAddress(newName, account); err != nil {
					return fmt.Errorf("rotated on chain, but failed to point key %s at %s: %w", newName, account, err)
				}
				if err := e.keyring().MarkRotated(e.v.GetString("from"), newName); err != nil {
					return fmt.Errorf("rotated on chain, but failed to mark key %s as rotated out: %w", e.v.GetString("from"), err)
				}
				fmt.Fprintf(e.stderr, "key %s now signs for %s; key %s is rotated out\n", newName, account, e.v.GetString("from"))
				return nil
			})
		},
	}
	rotate.Flags().String("new-key", "", "keyring key to rotate to")

	cmd.AddCommand(createOrg, addAccount, setRoles, suspend, reinstate, rotate)
	return cmd
}

func rolesHelp() string {
	s := ""
	for i, r := range membership.AllRoles() {
		if i > 0 {
			s += ", "
		}
		s += membership.RoleName(r)
	}
	return s
}

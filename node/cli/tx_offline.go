package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lineageledger/lineaged/app/txv1"
	"github.com/lineageledger/lineaged/node/client"
	"github.com/lineageledger/lineaged/node/keyring"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
)

// Offline and multi-party signing: a transaction is built on one machine
// (--generate-only), signed on another that may have no network (tx sign)
// and broadcast from a third (tx broadcast), carried between them as a
// [client.TxFile].

// offlineTxFlags adds the tx flags of offline signing.
func offlineTxFlags(f *pflag.FlagSet) {
	f.Bool("generate-only", false, "write the unsigned transaction (a JSON file for 'lineaged tx sign') instead of signing and broadcasting it")
	f.String("signer", "", "with --generate-only: the signer's address, when no key of it is at hand")
}

// generateOnly writes the unsigned transaction carrying what build returns.
// The chain id and the sequence are the flags' or, failing those, the
// node's; nothing is signed.
func (e *env) generateOnly(cmd *cobra.Command, build buildFunc) error {
	if e.v.GetBool("dry-run") {
		return errors.New("give --generate-only or --dry-run, not both: an unsigned transaction cannot be simulated")
	}
	signer, err := e.unsignedSigner(cmd)
	if err != nil {
		return err
	}
	// The chain is the client setting's (--chain-id, $LINEAGED_CHAIN_ID,
	// client.toml) or, without one, the node's.
	want, err := e.setting(cmd, settingChainID)
	if err != nil {
		return err
	}
	chainID := want.value
	var seq uint64
	haveSeq := cmd.Flags().Changed("sequence")
	if haveSeq {
		seq = e.v.GetUint64("sequence")
	}
	if chainID == "" || !haveSeq {
		ctx, cancel := context.WithTimeout(cmd.Context(), e.v.GetDuration("wait"))
		defer cancel()
		offline := func(err error) error {
			return fmt.Errorf("%w (to build the transaction without a node, give --chain-id and --sequence)", err)
		}
		// dial refuses a node of another chain than the setting's.
		c, err := e.dial(ctx, cmd)
		if err != nil {
			return offline(err)
		}
		if chainID == "" {
			if chainID, err = c.ChainID(ctx); err != nil {
				return offline(err)
			}
		}
		if !haveSeq {
			acct, err := c.Account(ctx, signer.Address())
			if err != nil {
				return offline(fmt.Errorf("failed to fetch account %s: %w", signer.Address(), err))
			}
			seq = acct.Sequence
		}
	}
	msg, err := build(signer, chainID, seq)
	if err != nil {
		return err
	}
	if err := declares(cmd, annotationRoute, e.routeOf(msg)); err != nil {
		return err
	}
	body, err := client.NewBody(chainID, signer.Address(), seq, msg, client.TxOptions{
		TimeoutHeight: e.v.GetUint64("timeout-height"), Memo: e.v.GetString("memo"),
	})
	if err != nil {
		return err
	}
	f, err := client.NewTxFile(body)
	if err != nil {
		return err
	}
	data, err := f.Marshal(!e.json())
	if err != nil {
		return err
	}
	if _, err := e.stdout.Write(data); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "unsigned: %s\nsign it with: lineaged tx sign FILE --from KEY\n", describeTx(f))
	return nil
}

// unsignedSigner is who a --generate-only transaction is for: the --from
// key, whose private part is opened only if the message itself needs a
// signature (a publisher's), or the --signer address, which signs nothing.
func (e *env) unsignedSigner(cmd *cobra.Command) (keyring.Signer, error) {
	address, from := e.v.GetString("signer"), e.v.GetString("from")
	if address != "" && cmd.Flags().Changed("from") {
		return nil, errors.New("give --from KEY or --signer ADDRESS, not both")
	}
	if address != "" {
		if _, err := keys.ParseAddress(address); err != nil {
			return nil, fmt.Errorf("--signer: %w", err)
		}
		return addressSigner(address), nil
	}
	if from == "" {
		return nil, errors.New("--generate-only needs the signer: --from KEY (a keyring key) or --signer ADDRESS")
	}
	info, err := e.keyring().Show(from)
	if err != nil {
		return nil, err
	}
	if err := rotatedOut(info); err != nil {
		return nil, err
	}
	pub, err := info.Public()
	if err != nil {
		return nil, err
	}
	return &keySigner{info: info, pub: pub, open: func() (keyring.Signer, error) {
		return e.keyring().Signer(from, e.v.GetString("signer-cmd"))
	}}, nil
}

// addressSigner stands for an account of which only the address is known:
// a transaction can be built for it, not signed.
type addressSigner string

var _ keyring.Signer = addressSigner("")

func (a addressSigner) Address() string           { return string(a) }
func (a addressSigner) Public() *keysv1.PublicKey { return nil }
func (a addressSigner) Sign([]byte) ([]byte, error) {
	return nil, fmt.Errorf("--signer %s gives an address, and nothing here can sign for it: use --from KEY", string(a))
}

// keySigner is a keyring key whose private part is opened (and its
// passphrase asked) only when something is signed.
type keySigner struct {
	info   *keyring.Info
	pub    *keysv1.PublicKey
	open   func() (keyring.Signer, error)
	signer keyring.Signer
}

var _ keyring.Signer = (*keySigner)(nil)

func (k *keySigner) Address() string           { return k.info.Address }
func (k *keySigner) Public() *keysv1.PublicKey { return k.pub }
func (k *keySigner) Sign(msg []byte) ([]byte, error) {
	if k.signer == nil {
		s, err := k.open()
		if err != nil {
			return nil, err
		}
		k.signer = s
	}
	return k.signer.Sign(msg)
}

// txOnlyFlags are the tx flags that shape a transaction being built; a
// file already holds its transaction, so sign and broadcast refuse them.
var txOnlyFlags = []string{"sequence", "timeout-height", "memo", "generate-only", "signer"}

func refuseBuildFlags(cmd *cobra.Command) error {
	for _, name := range txOnlyFlags {
		if cmd.Flags().Changed(name) {
			return fmt.Errorf("--%s shapes a transaction being built; %s takes the file's transaction as it is", name, cmd.CommandPath())
		}
	}
	return nil
}

func (e *env) txSignCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "sign FILE",
		Short: "Sign a transaction written by --generate-only, with no network needed",
		Long: `Sign the unsigned transaction in FILE (- reads stdin), as written by
"lineaged tx ... --generate-only", with the --from key (or its --signer-cmd),
and write the signed transaction: the same document with "signature" and
"tx_hash" added, for "lineaged tx broadcast".

Nothing is asked of any node: this runs on a machine without network access.
The file is refused if its parts disagree (the body shown is not the body
signed, the digest is not that of the sign bytes), if its body is one the chain
would refuse (not canonically encoded, unknown fields), if the key does not
sign for the body's signer, if it is signed already, or, with --chain-id, if it
is for another chain.

What is signed is printed on stderr first: the message, the signer, the chain,
the sequence and the SHA-256 of the sign bytes, which the machine that built
the file printed too (and an external signer sees as LINEAGED_SIGN_DIGEST).`,
		Example: `  lineaged tx licenses define acme/terms --spdx MIT --allow all --signer lin1... \
      --chain-id acme-1 --sequence 4 --generate-only > unsigned.json
  lineaged tx sign unsigned.json --from licensor --chain-id acme-1 > signed.json
  lineaged tx broadcast signed.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			if err := refuseBuildFlags(cmd); err != nil {
				return err
			}
			f, err := e.readTxFile(args[0])
			if err != nil {
				return err
			}
			if len(f.Signature) > 0 {
				hash, _ := f.TxHash()
				return fmt.Errorf("%s is signed already (tx %s): broadcast it with lineaged tx broadcast", args[0], hash)
			}
			if want := e.v.GetString("chain-id"); want != "" && want != f.Body.ChainId {
				return fmt.Errorf("the transaction is for chain %q, not %q (--chain-id): refusing to sign it", f.Body.ChainId, want)
			}
			from := e.v.GetString("from")
			if from == "" {
				return errors.New("--from is required: the keyring key that signs")
			}
			// Refuse another account's transaction before any passphrase
			// is asked.
			info, err := e.keyring().Show(from)
			if err != nil {
				return err
			}
			if err := rotatedOut(info); err != nil {
				return err
			}
			if info.Address != f.Body.Signer {
				return fmt.Errorf("%w: the transaction is to be signed by %s, key %s signs for %s", client.ErrWrongSigner, f.Body.Signer, from, info.Address)
			}
			fmt.Fprintf(e.stderr, "signing: %s\n", describeTx(f))
			signer, err := e.keyring().Signer(from, e.v.GetString("signer-cmd"))
			if err != nil {
				return err
			}
			if err := f.Sign(signer); err != nil {
				return err
			}
			data, err := f.Marshal(!e.json())
			if err != nil {
				return err
			}
			_, err = e.stdout.Write(data)
			return err
		},
	}
}

func (e *env) txBroadcastCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "broadcast FILE",
		Short: "Broadcast a transaction signed with 'lineaged tx sign' and wait for its commit",
		Long: `Broadcast the signed transaction in FILE (- reads stdin), as written by
"lineaged tx sign", and wait until it is committed, as every tx command does:
the same output, -o json, exit codes and --dry-run. The transaction is refused
before it is sent if it is unsigned, if its parts disagree, or if it is for
another chain than the node's (or than --chain-id).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			if err := refuseBuildFlags(cmd); err != nil {
				return err
			}
			f, err := e.readTxFile(args[0])
			if err != nil {
				return err
			}
			raw, err := f.Raw()
			if err != nil {
				return fmt.Errorf("%s: %w: sign it first with lineaged tx sign", args[0], err)
			}
			if want := e.v.GetString("chain-id"); want != "" && want != f.Body.ChainId {
				return fmt.Errorf("the transaction is for chain %q, not %q (--chain-id)", f.Body.ChainId, want)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), e.v.GetDuration("wait"))
			defer cancel()
			c, err := e.dial(ctx, cmd)
			if err != nil {
				return err
			}
			addr, err := e.setting(cmd, settingNode)
			if err != nil {
				return err
			}
			if err := checkFileChain(ctx, c, addr.value, f.Body.ChainId); err != nil {
				return err
			}
			return e.send(ctx, c, raw, e.afterBroadcast(f.Body))
		},
	}
}

// rotatedOut refuses a key rotated out of its account, as the keyring's
// Signer does, before anything is built or a passphrase asked.
func rotatedOut(info *keyring.Info) error {
	if info.RotatedTo != "" {
		return fmt.Errorf("key %s was rotated out of account %s and no longer signs for it: use key %s", info.Name, info.Address, info.RotatedTo)
	}
	return nil
}

// readTxFile reads and checks a transaction file (- for stdin).
func (e *env) readTxFile(path string) (*client.TxFile, error) {
	data, err := readInput(e.stdin, expandHome(path))
	if err != nil {
		return nil, err
	}
	f, err := client.ParseTxFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// checkFileChain refuses to broadcast a transaction for chain want to the
// node at addr if it is on another chain.
func checkFileChain(ctx context.Context, c *client.Client, addr, want string) error {
	got, err := c.ChainID(ctx)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("the transaction is for chain %q, but the node at %s is on chain %q", want, addr, got)
	}
	return nil
}

// afterBroadcast is what the command that builds a message prints once
// its transaction is committed, for a message broadcast from a file.
func (e *env) afterBroadcast(body *txv1.TxBody) func(*client.Result) error {
	switch body.Msg.(type) {
	case *txv1.TxBody_GrantLicense:
		return e.printGrantID
	case *txv1.TxBody_RecordRun:
		return func(res *client.Result) error {
			if id := lineageEventAttribute(res, "lineage.run_recorded", "run_id"); id != "" && !e.json() {
				fmt.Fprintf(e.stderr, "run %s\n", id)
			}
			return nil
		}
	case *txv1.TxBody_RotateKey:
		return func(*client.Result) error {
			fmt.Fprintf(e.stderr, "account %s now signs with its new key (a keyring holding that key still takes it to sign for the key's own address)\n", body.Signer)
			return nil
		}
	}
	return nil
}

// describeTx says in one line what a transaction file holds, for the
// person about to sign it.
func describeTx(f *client.TxFile) string {
	b := f.Body
	s := fmt.Sprintf("%s by %s on chain %s at sequence %d", msgField(b), b.Signer, b.ChainId, b.Sequence)
	if b.TimeoutHeight != 0 {
		s += fmt.Sprintf(", void above height %d", b.TimeoutHeight)
	}
	if b.Memo != "" {
		s += fmt.Sprintf(", memo %q", b.Memo)
	}
	return s + "\n  sign bytes SHA-256: " + f.SignBytesDigest()
}

// msgField is the name of the body's message field, e.g. "register_model".
func msgField(b *txv1.TxBody) string {
	m := b.ProtoReflect()
	if fd := m.WhichOneof(m.Descriptor().Oneofs().ByName("msg")); fd != nil {
		return string(fd.Name())
	}
	return "no message"
}

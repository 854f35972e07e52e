package cli

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/lineageledger/lineaged/node/keyring"
	"github.com/lineageledger/lineaged/x/kit/keys"
	"github.com/lineageledger/lineaged/x/kit/keys/keysv1"
)

func (e *env) keysCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Manage account keys (encrypted at rest with a passphrase)",
		Long: `Account keys live in HOME/keyring, each encrypted with age (scrypt) under
the keyring passphrase. The passphrase comes from --passphrase-file, else
$LINEAGED_KEYRING_PASSPHRASE, else a terminal prompt.

Keys held in a cloud key vault or HSM are added with --signer-cmd: lineaged
then keeps only the public key and runs the command to sign.`,
	}
	cmd.AddCommand(e.keysAddCmd(), e.keysListCmd(), e.keysShowCmd(), e.keysImportCmd(), e.keysExportCmd(), e.keysDeleteCmd())
	for _, c := range cmd.Commands() {
		keyringFlags(c)
	}
	return cmd
}

func (e *env) keysAddCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Create a key, or register an external signer's public key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			t, err := keys.ParseType(e.v.GetString("type"))
			if err != nil {
				return err
			}
			kr := e.keyring()
			var info *keyring.Info
			if signerCmd := e.v.GetString("signer-cmd"); signerCmd != "" {
				pub, err := parsePublicKey(e.v.GetString("pubkey"), t)
				if err != nil {
					return fmt.Errorf("--pubkey: %w", err)
				}
				info, err = kr.AddExternal(args[0], pub, signerCmd)
				if err != nil {
					return err
				}
			} else {
				if e.v.GetString("pubkey") != "" {
					return errors.New("--pubkey only goes with --signer-cmd")
				}
				if info, err = kr.Add(args[0], t); err != nil {
					return err
				}
			}
			return e.printInfo(info)
		},
	}
	cmd.Flags().String("type", "ed25519", "key type: ed25519, p256 or secp256k1")
	cmd.Flags().String("signer-cmd", "", "external signer command (key stays in a vault/HSM); needs --pubkey")
	cmd.Flags().String("pubkey", "", "the external key's public key, hex (compressed point for p256/secp256k1)")
	return cmd
}

func (e *env) keysListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List keys",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e.bind(cmd)
			infos, err := e.keyring().List()
			if err != nil {
				return err
			}
			if e.json() {
				if infos == nil {
					infos = []*keyring.Info{}
				}
				return printJSON(e.stdout, infos)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tTYPE\tADDRESS\tSIGNER")
			for _, i := range infos {
				signer := "local"
				if i.SignerCmd != "" {
					signer = "external"
				}
				if i.RotatedTo != "" {
					signer += " (rotated out for " + i.RotatedTo + ")"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", i.Name, i.Type, i.Address, signer)
			}
			return tw.Flush()
		},
	}
}

func (e *env) keysShowCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a key's public part",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			info, err := e.keyring().Show(args[0])
			if err != nil {
				return err
			}
			switch {
			case e.json():
				// The whole info: address and public key are in it.
			case e.v.GetBool("address"):
				fmt.Fprintln(e.stdout, info.Address)
				return nil
			case e.v.GetBool("pubkey"):
				fmt.Fprintf(e.stdout, "%s:%s\n", info.Type, info.PublicKey)
				return nil
			}
			return e.printInfo(info)
		},
	}
	cmd.Flags().Bool("address", false, "print only the address (-o json prints the whole key)")
	cmd.Flags().Bool("pubkey", false, "print only the public key as TYPE:HEX (-o json prints the whole key)")
	return cmd
}

func (e *env) keysImportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import NAME FILE",
		Short: "Import a key exported with `keys export` (FILE - reads stdin)",
		Long: `Import a key. By default FILE is the armored output of "keys export", opened
with the export passphrase ($LINEAGED_EXPORT_PASSPHRASE, --export-passphrase-file
or a prompt). With --hex, FILE holds a raw 32-byte private key in hex and
--type says its scheme.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			data, err := readInput(e.stdin, args[1])
			if err != nil {
				return err
			}
			kr := e.keyring()
			var info *keyring.Info
			if e.v.GetBool("hex") {
				t, err := keys.ParseType(e.v.GetString("type"))
				if err != nil {
					return err
				}
				b, err := hex.DecodeString(strings.TrimSpace(string(data)))
				if err != nil {
					return fmt.Errorf("%s: not hex: %w", args[1], err)
				}
				priv, err := keys.PrivateKeyFromBytes(t, b)
				if err != nil {
					return err
				}
				if info, err = kr.Import(args[0], priv); err != nil {
					return err
				}
			} else {
				pass, err := e.exportPassphrase(false)
				if err != nil {
					return err
				}
				if info, err = kr.ImportArmored(args[0], data, pass); err != nil {
					return err
				}
			}
			return e.printInfo(info)
		},
	}
	cmd.Flags().Bool("hex", false, "FILE holds a raw private key in hex")
	cmd.Flags().String("type", "ed25519", "with --hex: the key type")
	cmd.Flags().String("export-passphrase-file", "", "read the export passphrase from this file (else $"+ExportPassphraseEnv+", else a prompt)")
	return cmd
}

func (e *env) keysExportCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export NAME",
		Short: "Export a key, encrypted under an export passphrase",
		Long: `Export a key as ASCII armor encrypted under a separate export passphrase
($LINEAGED_EXPORT_PASSPHRASE, --export-passphrase-file or a prompt), for
"keys import" elsewhere. --unarmored-hex --unsafe prints the raw private key.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			kr := e.keyring()
			if e.v.GetBool("unarmored-hex") {
				if !e.v.GetBool("unsafe") {
					return errors.New("--unarmored-hex prints the private key in the clear; add --unsafe if you mean it")
				}
				priv, err := kr.PrivateKey(args[0])
				if err != nil {
					return err
				}
				if e.json() {
					return printJSON(e.stdout, map[string]string{"name": args[0], "private_key": hex.EncodeToString(priv.Bytes())})
				}
				fmt.Fprintln(e.stdout, hex.EncodeToString(priv.Bytes()))
				return nil
			}
			pass, err := e.exportPassphrase(true)
			if err != nil {
				return err
			}
			out, err := kr.Export(args[0], pass)
			if err != nil {
				return err
			}
			if e.json() {
				return printJSON(e.stdout, map[string]string{"name": args[0], "armored": string(out)})
			}
			_, err = e.stdout.Write(out)
			return err
		},
	}
	cmd.Flags().Bool("unarmored-hex", false, "print the raw private key in hex")
	cmd.Flags().Bool("unsafe", false, "confirm printing a private key in the clear")
	cmd.Flags().String("export-passphrase-file", "", "read the export passphrase from this file (else $"+ExportPassphraseEnv+", else a prompt)")
	return cmd
}

func (e *env) keysDeleteCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a key for good",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			if !e.v.GetBool("yes") {
				return errors.New("deleting a key cannot be undone; export it first if needed, then pass --yes")
			}
			if err := e.keyring().Delete(args[0]); err != nil {
				return err
			}
			if e.json() {
				return printJSON(e.stdout, map[string]any{"name": args[0], "deleted": true})
			}
			fmt.Fprintf(e.stderr, "deleted key %s\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolP("yes", "y", false, "confirm deletion")
	return cmd
}

// ExportPassphraseEnv supplies the export passphrase non-interactively.
const ExportPassphraseEnv = "LINEAGED_EXPORT_PASSPHRASE"

func (e *env) exportPassphrase(confirm bool) (string, error) {
	return e.secret(secretSource{name: "export passphrase", prompt: "Export passphrase", flag: "export-passphrase-file", env: ExportPassphraseEnv}, confirm)
}

func (e *env) printInfo(info *keyring.Info) error {
	if e.json() {
		return printJSON(e.stdout, info)
	}
	fmt.Fprintf(e.stdout, "name:       %s\ntype:       %s\naddress:    %s\npublic key: %s:%s\n", info.Name, info.Type, info.Address, info.Type, info.PublicKey)
	if info.SignerCmd != "" {
		fmt.Fprintf(e.stdout, "signer:     external: %s\n", info.SignerCmd)
	}
	return nil
}

// parsePublicKey reads "TYPE:HEX", or bare HEX of type def.
func parsePublicKey(s string, def keysv1.KeyType) (*keysv1.PublicKey, error) {
	if s == "" {
		return nil, errors.New("missing public key")
	}
	t := def
	if typ, h, ok := strings.Cut(s, ":"); ok {
		var err error
		if t, err = keys.ParseType(typ); err != nil {
			return nil, err
		}
		s = h
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("public key is not hex: %w", err)
	}
	pub := &keysv1.PublicKey{Type: t, Key: b}
	if err := keys.ValidatePublicKey(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

func readInput(stdin io.Reader, path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(io.LimitReader(stdin, 1<<20))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read %s: %w", path, err)
	}
	return b, nil
}

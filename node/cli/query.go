package cli

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app/appv1"
	"github.com/lineageledger/lineaged/node/client"
	"github.com/lineageledger/lineaged/node/receipt"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// Query paths of the queries this file's commands run.
const (
	membershipQueryPath = "/lineage.membership.v1.Query/"
	paramsQueryPath     = "/lineage.app.v1.Query/Params"
)

func (e *env) queryCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "query",
		Aliases: []string{"q"},
		Short:   "Read chain state",
		Long: `Read chain state through a node's ABCI query path (the full gRPC method name,
e.g. /lineage.membership.v1.Query/Account). Text output is indented JSON; -o json
prints one compact line.`,
	}
	f := cmd.PersistentFlags()
	clientFlags(f)
	f.Int64("height", 0, "read the state at this height (0: latest)")
	f.String("receipt", "", "also write a verifiable receipt of the answer to this file (see lineaged verify)")
	keyringFlagsOn(cmd)

	params := &cobra.Command{
		Use:         "params",
		Annotations: runsQuery(paramsQueryPath),
		Short:       "Show the chain's application parameters",
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.query(cmd, paramsQueryPath, &appv1.QueryParamsRequest{}, &appv1.QueryParamsResponse{})
		},
	}
	tx := &cobra.Command{
		Use:   "tx HASH",
		Short: "Show a committed transaction's result",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			hash, err := hex.DecodeString(strings.TrimPrefix(strings.ToLower(args[0]), "0x"))
			if err != nil || len(hash) != 32 {
				return fmt.Errorf("%q is not a 32-byte hex transaction hash", args[0])
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 10*time.Second)
			defer cancel()
			c, err := e.dial(ctx, cmd)
			if err != nil {
				return err
			}
			tr, err := c.RPC().Tx(ctx, hash, false)
			if err != nil {
				return fmt.Errorf("transaction %X: %w", hash, err)
			}
			return e.printResult(&client.Result{
				TxHash: strings.ToUpper(args[0]), Height: tr.Height, Code: tr.TxResult.Code,
				Codespace: tr.TxResult.Codespace, Log: tr.TxResult.Log, Events: tr.TxResult.Events,
			})
		},
	}
	cmd.AddCommand(params, tx)
	return cmd
}

func (e *env) membershipQueryCmd() *cobra.Command {
	membershipCmd := &cobra.Command{Use: "membership", Short: "Organisations, accounts and roles"}
	membershipCmd.AddCommand(
		&cobra.Command{
			Use:         "account ACCOUNT",
			Annotations: runsQuery(membershipQueryPath + "Account"),
			Short:       "Show an account (by address or keyring key name)",
			Args:        cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				e.bind(cmd)
				addr, err := e.resolveAddress(args[0])
				if err != nil {
					return err
				}
				return e.query(cmd, membershipQueryPath+"Account", &membershippb.QueryAccountRequest{Address: addr}, &membershippb.QueryAccountResponse{})
			},
		},
		&cobra.Command{
			Use:         "org ORG_ID",
			Annotations: runsQuery(membershipQueryPath + "Org"),
			Short:       "Show an organisation and its accounts",
			Args:        cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return e.query(cmd, membershipQueryPath+"Org", &membershippb.QueryOrgRequest{OrgId: args[0]}, &membershippb.QueryOrgResponse{})
			},
		},
	)
	orgs := &cobra.Command{
		Use:         "orgs",
		Annotations: runsQuery(membershipQueryPath + "Orgs"),
		Short:       "List organisations",
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e.bind(cmd)
			return e.query(cmd, membershipQueryPath+"Orgs",
				&membershippb.QueryOrgsRequest{StartAfter: e.v.GetString("start-after"), Limit: e.v.GetUint32("limit")}, &membershippb.QueryOrgsResponse{})
		},
	}
	orgs.Flags().String("start-after", "", "list organisations after this id (paging)")
	orgs.Flags().Uint32("limit", 100, "page size (at most 1000)")
	membershipCmd.AddCommand(orgs)
	return membershipCmd
}

// query runs one ABCI query and prints the answer.
func (e *env) query(cmd *cobra.Command, path string, req, resp proto.Message) error {
	if err := e.ask(cmd, path, req, resp); err != nil {
		return err
	}
	return e.printProto(resp)
}

// ask runs one ABCI query at --height on --node. With --receipt FILE it
// fetches a receipt instead, writes it to FILE, and answers from it.
func (e *env) ask(cmd *cobra.Command, path string, req, resp proto.Message) error {
	if err := declares(cmd, annotationQuery, path); err != nil {
		return err
	}
	e.bind(cmd)
	ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
	defer cancel()
	c, err := e.dial(ctx, cmd)
	if err != nil {
		return err
	}
	out := e.v.GetString("receipt")
	if out == "" {
		_, err = c.Query(ctx, path, req, resp, e.v.GetInt64("height"))
		return err
	}
	r, err := c.Receipt(ctx, path, req, e.v.GetInt64("height"))
	if err != nil {
		return err
	}
	data, err := receipt.Marshal(r)
	if err != nil {
		return err
	}
	if err := os.WriteFile(expandHome(out), data, 0o644); err != nil {
		return fmt.Errorf("failed to write receipt: %w", err)
	}
	fmt.Fprintf(e.stderr, "receipt for height %d written to %s\n", r.Height, out)
	if r.Error != nil {
		return &client.QueryError{Codespace: r.Error.Codespace, Code: r.Error.Code, Log: r.Error.Log}
	}
	return proto.Unmarshal(r.Answer, resp)
}

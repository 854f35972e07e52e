package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/node/keyring"
	"github.com/lineageledger/lineaged/x/models"
	modelspb "github.com/lineageledger/lineaged/x/models/modelsv1"
)

func (e *env) modelsAliasTxCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:         "alias NAME ALIAS [VERSION]",
		Annotations: runsRoute("models.set_model_alias"),
		Short:       "Point an alias such as production at a version of a model, or clear it (needs model-publisher)",
		Long: `Point an alias of a model name (production, staging, ...) at one of its
versions, or clear it with --clear. Each move is recorded: where the alias
pointed before, who moved it and at which height (see 'lineaged query models
alias-history'). A pipeline can then gate on the alias ('lineaged gate check
--model NAME --alias ALIAS'), which resolves to the version it points to at the
height checked.

An alias is 1-64 lower-case letters, digits, '-' and '_', starting with a letter.
It belongs to the organisation that first set it: only that organisation moves or
clears it, and only to registered, unrevoked versions it published.`,
		Args: cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			clearing, _ := cmd.Flags().GetBool("clear")
			switch {
			case clearing && len(args) == 3:
				return errors.New("give VERSION or --clear, not both")
			case !clearing && len(args) == 2:
				return errors.New("VERSION is required (or --clear to point the alias at nothing)")
			}
			return e.submit(cmd, func(keyring.Signer, string, uint64) (proto.Message, error) {
				msg := &modelspb.MsgSetModelAlias{Name: args[0], Alias: args[1]}
				if len(args) == 3 {
					msg.Version = args[2]
				}
				return msg, nil
			}, nil)
		},
	}
	cmd.Flags().Bool("clear", false, "point the alias at no version")
	return cmd
}

func (e *env) modelsAliasQueryCmds() []*cobra.Command {
	alias := &cobra.Command{
		Use:         "alias NAME ALIAS",
		Annotations: runsQuery(modelsQueryPath + "ModelAlias"),
		Short:       "Show where an alias of a model points: its latest move (no version: cleared)",
		Args:        cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.query(cmd, modelsQueryPath+"ModelAlias",
				&modelspb.QueryModelAliasRequest{Name: args[0], Alias: args[1]}, &modelspb.QueryModelAliasResponse{})
		},
	}

	aliases := &cobra.Command{
		Use:         "aliases NAME",
		Annotations: runsQuery(modelsQueryPath + "ModelAliases"),
		Short:       "List the aliases of a model name and where each points",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			return e.query(cmd, modelsQueryPath+"ModelAliases", &modelspb.QueryModelAliasesRequest{
				Name: args[0], StartAfter: e.v.GetString("start-after"), Limit: e.v.GetUint32("limit"),
			}, &modelspb.QueryModelAliasesResponse{})
		},
	}
	aliases.Flags().String("start-after", "", "list aliases after this one (paging)")
	aliases.Flags().Uint32("limit", models.DefaultPageLimit, fmt.Sprintf("at most this many (at most %d)", models.MaxPageLimit))

	history := &cobra.Command{
		Use:         "alias-history NAME ALIAS",
		Annotations: runsQuery(modelsQueryPath + "ModelAliasHistory"),
		Short:       "List every move of an alias, oldest first",
		Args:        cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			return e.query(cmd, modelsQueryPath+"ModelAliasHistory", &modelspb.QueryModelAliasHistoryRequest{
				Name: args[0], Alias: args[1], StartAfter: e.v.GetUint64("start-after"), Limit: e.v.GetUint32("limit"),
			}, &modelspb.QueryModelAliasHistoryResponse{})
		},
	}
	history.Flags().Uint64("start-after", 0, "list moves after this move number (paging)")
	history.Flags().Uint32("limit", models.DefaultPageLimit, fmt.Sprintf("at most this many (at most %d)", models.MaxPageLimit))

	return []*cobra.Command{alias, aliases, history}
}

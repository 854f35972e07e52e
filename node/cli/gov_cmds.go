package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/node/client"
	"github.com/lineageledger/lineaged/node/keyring"
	govpb "github.com/lineageledger/lineaged/x/gov/govv1"
)

// govQueryPath is the ABCI query path prefix of governance's Query methods.
const govQueryPath = "/lineage.gov.v1.Query/"

// proposalExample is a proposal file, for the help.
const proposalExample = `{
  "title": "Require publisher signatures",
  "summary": "Deployments must carry a verified publisher signature.",
  "messages": [
    {"update_params": {"gate_policy": {"require_signature": true, "require_namespace_owner": true,
      "deny_revoked_datasets": true, "max_lineage_nodes": 1000}}},
    {"create_org": {"org_id": "gamma", "name": "Gamma AI",
      "admin_public_key": {"type": "KEY_TYPE_ED25519", "key": "<base64>"}, "admin_roles": ["ROLE_ADMIN"]}}
  ]
}`

func (e *env) govTxCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "gov", Short: "Governance: proposals and votes of member organisations"}
	propose := &cobra.Command{
		Use:         "propose FILE.json",
		Annotations: runsRoute("gov.submit_proposal"),
		Short:       "Submit a proposal from a JSON file (needs admin)",
		Long: `Submit a proposal: a lineage.gov.v1.MsgSubmitProposal in protobuf JSON, read
from FILE.json (- for stdin). Its messages execute with the consortium's
authority if the member organisations pass it: update_params (the gate
policy, max_tx_bytes, max_memo_bytes, governance's own parameters),
create_org, suspend_org, reinstate_org and set_account_roles. Nothing else
can be proposed, and those messages but create_org cannot be sent any other
way. The new proposal's id is printed.

` + jsonRules + `

A proposal file:

` + proposalExample,
		Example: `  lineaged tx gov propose proposal.json --from alice`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readInput(e.stdin, expandHome(args[0]))
			if err != nil {
				return fmt.Errorf("reading the proposal: %w", err)
			}
			var msg govpb.MsgSubmitProposal
			if err := protojson.Unmarshal(data, &msg); err != nil {
				return usagef("%s is not a valid lineage.gov.v1.MsgSubmitProposal (see --help): %w", args[0], err)
			}
			return e.submit(cmd, func(keyring.Signer, string, uint64) (proto.Message, error) { return &msg, nil }, e.printProposalID)
		},
	}
	vote := &cobra.Command{
		Use:         "vote PROPOSAL_ID yes|no|abstain",
		Annotations: runsRoute("gov.vote"),
		Short:       "Cast or change your organisation's vote (needs admin)",
		Long: `Cast your organisation's vote on a proposal, or change it: one vote per
organisation, the latest counts, until the proposal's voting period ends.`,
		Example: `  lineaged tx gov vote 1 yes --from alice`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseProposalID(args[0])
			if err != nil {
				return err
			}
			option, ok := govpb.VoteOption_value["VOTE_OPTION_"+strings.ToUpper(args[1])]
			if !ok || option == 0 {
				return usagef("vote %q: give yes, no or abstain", args[1])
			}
			return e.submit(cmd, func(keyring.Signer, string, uint64) (proto.Message, error) {
				return &govpb.MsgVote{ProposalId: id, Option: govpb.VoteOption(option)}, nil
			}, nil)
		},
	}
	cmd.AddCommand(propose, vote)
	return cmd
}

func (e *env) govQueryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "gov", Short: "Governance proposals, votes and tallies"}
	byID := func(use, method, short string, req func(uint64) proto.Message, resp func() proto.Message) *cobra.Command {
		return &cobra.Command{
			Use:         use + " PROPOSAL_ID",
			Annotations: runsQuery(govQueryPath + method),
			Short:       short,
			Args:        cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				e.bind(cmd)
				id, err := parseProposalID(args[0])
				if err != nil {
					return err
				}
				return e.query(cmd, govQueryPath+method, req(id), resp())
			},
		}
	}
	votes := byID("votes", "Votes", "List a proposal's votes, one per organisation",
		func(id uint64) proto.Message {
			return &govpb.QueryVotesRequest{ProposalId: id, StartAfter: e.v.GetString("start-after"), Limit: e.v.GetUint32("limit")}
		},
		func() proto.Message { return &govpb.QueryVotesResponse{} })
	votes.Flags().String("start-after", "", "list votes after this organisation's (paging)")
	votes.Flags().Uint32("limit", 100, "page size (at most 1000)")
	proposals := &cobra.Command{
		Use:         "proposals",
		Annotations: runsQuery(govQueryPath + "Proposals"),
		Short:       "List proposals, optionally of one status",
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e.bind(cmd)
			status := int32(0)
			if s := e.v.GetString("status"); s != "" {
				v, ok := govpb.ProposalStatus_value["PROPOSAL_STATUS_"+strings.ToUpper(s)]
				if !ok || v == 0 {
					return usagef("--status %q: give voting, passed, rejected, failed or expired", s)
				}
				status = v
			}
			return e.query(cmd, govQueryPath+"Proposals", &govpb.QueryProposalsRequest{
				Status: govpb.ProposalStatus(status), StartAfter: e.v.GetUint64("start-after"), Limit: e.v.GetUint32("limit"),
			}, &govpb.QueryProposalsResponse{})
		},
	}
	proposals.Flags().String("status", "", "only proposals in this status: voting, passed, rejected, failed or expired")
	proposals.Flags().Uint64("start-after", 0, "list proposals after this id (paging)")
	proposals.Flags().Uint32("limit", 100, "page size (at most 1000)")
	cmd.AddCommand(
		byID("proposal", "Proposal", "Show a proposal and, once decided, its outcome",
			func(id uint64) proto.Message { return &govpb.QueryProposalRequest{ProposalId: id} },
			func() proto.Message { return &govpb.QueryProposalResponse{} }),
		proposals,
		votes,
		byID("tally", "Tally", "Count a proposal's votes (final once decided)",
			func(id uint64) proto.Message { return &govpb.QueryTallyRequest{ProposalId: id} },
			func() proto.Message { return &govpb.QueryTallyResponse{} }),
	)
	return cmd
}

func parseProposalID(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		return 0, usagef("proposal id %q: give a positive number", s)
	}
	return id, nil
}

// printProposalID prints the id of the proposal a transaction submitted.
func (e *env) printProposalID(res *client.Result) error {
	if e.json() {
		return nil // the id is in the printed events
	}
	for _, ev := range res.Events {
		if ev.Type != "gov.proposal_submitted" {
			continue
		}
		for _, a := range ev.Attributes {
			if a.Key == "proposal_id" {
				fmt.Fprintf(e.stdout, "proposal id: %s\n", a.Value)
			}
		}
	}
	return nil
}

package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/lineageledger/lineaged/node/client"
	"github.com/lineageledger/lineaged/node/keyring"
	"github.com/lineageledger/lineaged/x/gate"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
	"github.com/lineageledger/lineaged/x/licenses"
	licensespb "github.com/lineageledger/lineaged/x/licenses/licensesv1"
)

// licensesQueryPath is the ABCI query path prefix of the licences' Query methods.
const licensesQueryPath = "/lineage.licenses.v1.Query/"

// licenseAllowHelp says what --allow takes: the uses as gate check --use
// names them.
var licenseAllowHelp = "permitted uses, comma-separated: " + gate.UseList() + " (or none, or all)"

func (e *env) licensesTxCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "licenses", Short: "Licences and grants"}

	define := &cobra.Command{
		Use:         "define ID",
		Annotations: runsRoute("licenses.define_license"),
		Short:       "Define a licence licensed by your organisation (needs licensor)",
		Long: `Define a licence: an SPDX expression (--spdx) and/or the digest of its custom
terms (--terms-digest), the uses it permits (--allow), whether users must
attribute (--attribution), whether organisations need a grant to use records
offered under it (--grant-required), and an optional expiry. A licence never
changes once defined.`,
		Example: `  lineaged tx licenses define acme/cc-by-4.0 --spdx CC-BY-4.0 --allow all --attribution --from alice
  lineaged tx licenses define acme/research --terms-digest sha256:<hex> --allow derivatives,ai-training --grant-required --from alice`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.submit(cmd, func(keyring.Signer, string, uint64) (proto.Message, error) {
				usage, err := parseLicenseUses(e.v.GetString("allow"))
				if err != nil {
					return nil, err
				}
				usage.AttributionRequired = e.v.GetBool("attribution")
				expiryTime, err := parseLicenseExpiryTime(e.v.GetString("expiry-time"))
				if err != nil {
					return nil, err
				}
				return &licensespb.MsgDefineLicense{License: &licensespb.LicenseSpec{
					Id:            args[0],
					SpdxId:        e.v.GetString("spdx"),
					TermsDigest:   e.v.GetString("terms-digest"),
					Usage:         usage,
					GrantRequired: e.v.GetBool("grant-required"),
					ExpiryHeight:  e.v.GetInt64("expiry-height"),
					ExpiryTime:    expiryTime,
				}}, nil
			}, nil)
		},
	}
	define.Flags().String("spdx", "", `SPDX licence identifier or expression, e.g. "Apache-2.0 OR MIT"`)
	define.Flags().String("terms-digest", "", "digest of the licence's custom terms, sha256:<hex>")
	define.Flags().String("allow", "", licenseAllowHelp+" (required)")
	define.Flags().Bool("attribution", false, "users must attribute")
	define.Flags().Bool("grant-required", false, "organisations may use records under the licence only through a grant")
	licenseExpiryFlags(define, "the licence")
	must(define.MarkFlagRequired("allow"))

	grant := &cobra.Command{
		Use:         "grant LICENSE_ID",
		Annotations: runsRoute("licenses.grant_license"),
		Short:       "Grant an organisation rights on a record under your licence (needs licensor)",
		Long: `Grant the organisation --to rights on one dataset (--dataset) or model version
(--model) offered under the licence: never more uses than the licence permits
and, if the licence expires, an expiry no later than the licence's. The
licence's duties (attribution) always apply. The new grant's id is printed.`,
		Example: `  lineaged tx licenses grant acme/research --to beta --model acme/llm-7b@1.0 --allow derivatives,ai-training --from alice`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.submit(cmd, func(keyring.Signer, string, uint64) (proto.Message, error) {
				to := e.v.GetString("to")
				if to == "" {
					return nil, errors.New("--to is required: the licensee organisation")
				}
				subject, err := e.licenseSubjectFromFlags()
				if err != nil {
					return nil, err
				}
				usage, err := parseLicenseUses(e.v.GetString("allow"))
				if err != nil {
					return nil, err
				}
				expiryTime, err := parseLicenseExpiryTime(e.v.GetString("expiry-time"))
				if err != nil {
					return nil, err
				}
				return &licensespb.MsgGrantLicense{
					LicenseId:    args[0],
					LicenseeOrg:  to,
					Subject:      subject,
					Usage:        usage,
					ExpiryHeight: e.v.GetInt64("expiry-height"),
					ExpiryTime:   expiryTime,
				}, nil
			}, e.printGrantID)
		},
	}
	grant.Flags().String("to", "", "licensee organisation id (required)")
	licenseSubjectFlags(grant)
	grant.Flags().String("allow", "", licenseAllowHelp+" (required)")
	licenseExpiryFlags(grant, "the grant")
	must(grant.MarkFlagRequired("to"))
	must(grant.MarkFlagRequired("allow"))

	revoke := &cobra.Command{
		Use:         "revoke-grant GRANT_ID",
		Annotations: runsRoute("licenses.revoke_grant"),
		Short:       "Revoke a grant under your licence (needs licensor)",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.submit(cmd, func(keyring.Signer, string, uint64) (proto.Message, error) {
				return &licensespb.MsgRevokeGrant{GrantId: args[0], Reason: e.v.GetString("reason")}, nil
			}, nil)
		},
	}
	revoke.Flags().String("reason", "", "why (required, 1-512 bytes, recorded on chain)")
	must(revoke.MarkFlagRequired("reason"))

	cmd.AddCommand(define, grant, revoke)
	return cmd
}

func (e *env) licensesQueryCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "licenses", Short: "Licences, grants and what a lineage permits"}

	license := &cobra.Command{
		Use:         "license ID",
		Annotations: runsQuery(licensesQueryPath + "License"),
		Short:       "Show a licence and whether it has expired",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.query(cmd, licensesQueryPath+"License", &licensespb.QueryLicenseRequest{Id: args[0]}, &licensespb.QueryLicenseResponse{})
		},
	}

	list := &cobra.Command{
		Use:         "list",
		Annotations: runsQuery(licensesQueryPath + "Licenses"),
		Short:       "List licences",
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e.bind(cmd)
			return e.query(cmd, licensesQueryPath+"Licenses",
				&licensespb.QueryLicensesRequest{StartAfter: e.v.GetString("start-after"), Limit: e.v.GetUint32("limit")}, &licensespb.QueryLicensesResponse{})
		},
	}
	list.Flags().String("start-after", "", "list licences after this id (paging)")
	list.Flags().Uint32("limit", 100, "page size (at most 1000)")

	grant := &cobra.Command{
		Use:         "grant ID",
		Annotations: runsQuery(licensesQueryPath + "Grant"),
		Short:       "Show a grant, its revocation and whether it is active",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.query(cmd, licensesQueryPath+"Grant", &licensespb.QueryGrantRequest{Id: args[0]}, &licensespb.QueryGrantResponse{})
		},
	}

	grants := &cobra.Command{
		Use:         "grants",
		Annotations: runsQuery(licensesQueryPath + "Grants"),
		Short:       "List the grants on a dataset or model version (optionally of one organisation)",
		Args:        cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e.bind(cmd)
			subject, err := e.licenseSubjectFromFlags()
			if err != nil {
				return err
			}
			return e.query(cmd, licensesQueryPath+"Grants",
				&licensespb.QueryGrantsRequest{Subject: subject, LicenseeOrg: e.v.GetString("org")}, &licensespb.QueryGrantsResponse{})
		},
	}
	licenseSubjectFlags(grants)
	grants.Flags().String("org", "", "only grants to this organisation")

	effective := &cobra.Command{
		Use:         "effective",
		Annotations: runsQuery(licensesQueryPath + "EffectiveLicense"),
		Short:       "Show what a record's whole lineage permits",
		Long: `Walk the lineage of a dataset or model version and intersect what every
upstream licence permits, listing the records behind each restriction and
duty. With --org, licences that need a grant count through that
organisation's active grants; without it they permit nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e.bind(cmd)
			subject, err := e.licenseSubjectFromFlags()
			if err != nil {
				return err
			}
			var resp licensespb.QueryEffectiveLicenseResponse
			if err := e.ask(cmd, licensesQueryPath+"EffectiveLicense",
				&licensespb.QueryEffectiveLicenseRequest{Subject: subject, Org: e.v.GetString("org"), MaxNodes: e.v.GetUint32("max-nodes")}, &resp); err != nil {
				return err
			}
			if e.json() {
				return e.printProto(&resp)
			}
			printEffectiveLicense(e.stdout, &resp)
			return nil
		},
	}
	licenseSubjectFlags(effective)
	effective.Flags().String("org", "", "organisation whose grants count")
	effective.Flags().Uint32("max-nodes", licenses.DefaultMaxNodes, fmt.Sprintf("records to walk at most (at most %d)", licenses.MaxMaxNodes))

	cmd.AddCommand(license, list, grant, grants, effective)
	return cmd
}

// licenseSubjectFlags adds --dataset and --model, one of which names the
// record a command is about.
func licenseSubjectFlags(cmd *cobra.Command) {
	cmd.Flags().String("dataset", "", "dataset content digest, sha256:<hex>")
	cmd.Flags().String("model", "", "model version, NAME@VERSION")
	cmd.MarkFlagsMutuallyExclusive("dataset", "model")
	cmd.MarkFlagsOneRequired("dataset", "model")
}

// licenseSubjectFromFlags reads the record named by --dataset or --model.
func (e *env) licenseSubjectFromFlags() (*licensespb.Subject, error) {
	dataset, model := e.v.GetString("dataset"), e.v.GetString("model")
	switch {
	case dataset != "" && model != "":
		return nil, errors.New("give --dataset or --model, not both")
	case dataset != "":
		return licenses.DatasetSubject(dataset), nil
	case model != "":
		return licenses.ModelSubject(model), nil
	}
	return nil, errors.New("--dataset or --model is required")
}

// licenseExpiryFlags adds the optional expiry of a licence or grant.
func licenseExpiryFlags(cmd *cobra.Command, what string) {
	cmd.Flags().Int64("expiry-height", 0, what+" is void at heights above this (0: no height expiry)")
	cmd.Flags().String("expiry-time", "", what+" is void from this RFC 3339 time on, e.g. 2027-01-01T00:00:00Z")
}

// parseLicenseUses reads an --allow list into the permissions of a Usage:
// the uses as gate check --use names them (gate.ParseUse, aliases
// included), or none, or all.
func parseLicenseUses(s string) (*licensespb.Usage, error) {
	u := &licensespb.Usage{}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none":
		return u, nil
	case "all":
		u.CommercialUse, u.Derivatives, u.Redistribution, u.AiTraining = true, true, true, true
		return u, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		use, err := gate.ParseUse(part)
		if err != nil {
			return nil, fmt.Errorf("--allow: unknown use %q (want %s, or none, or all)", strings.TrimSpace(part), gate.UseList())
		}
		*usageField(u, use) = true
	}
	return u, nil
}

// usageField is the permission of u for use.
func usageField(u *licensespb.Usage, use gatepb.Use) *bool {
	switch use {
	case gatepb.Use_USE_COMMERCIAL:
		return &u.CommercialUse
	case gatepb.Use_USE_DERIVATIVES:
		return &u.Derivatives
	case gatepb.Use_USE_REDISTRIBUTION:
		return &u.Redistribution
	case gatepb.Use_USE_AI_TRAINING:
		return &u.AiTraining
	}
	// gate.ParseUse returns only the uses above.
	panic(fmt.Sprintf("cli: no licence permission for %v", use))
}

// useName is the name users type for a use as the licences' answers name
// it (commercial_use, ai_training): the gate's, when it is one.
func useName(licenceUse string) string {
	if u, err := gate.ParseUse(licenceUse); err == nil {
		return gate.UseName(u)
	}
	return licenceUse
}

// parseLicenseExpiryTime reads --expiry-time; empty means none.
func parseLicenseExpiryTime(s string) (*timestamppb.Timestamp, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return nil, fmt.Errorf("--expiry-time %q: want an RFC 3339 time such as 2027-01-01T00:00:00Z", s)
	}
	return timestamppb.New(t), nil
}

// printGrantID prints the id of the grant a committed transaction created.
func (e *env) printGrantID(res *client.Result) error {
	if e.json() {
		return nil // the id is in the printed events
	}
	for _, ev := range res.Events {
		if ev.Type != "licenses.license_granted" {
			continue
		}
		for _, a := range ev.Attributes {
			if a.Key == "grant_id" {
				fmt.Fprintf(e.stdout, "grant id: %s\n", a.Value)
			}
		}
	}
	return nil
}

// printEffectiveLicense writes an effective licence for people: what is
// permitted, what is owed, and which record withholds each use.
func printEffectiveLicense(w io.Writer, r *licensespb.QueryEffectiveLicenseResponse) {
	u := r.Usage
	var permitted []string
	for _, p := range []struct {
		use gatepb.Use
		ok  bool
	}{
		{gatepb.Use_USE_COMMERCIAL, u.GetCommercialUse()}, {gatepb.Use_USE_DERIVATIVES, u.GetDerivatives()},
		{gatepb.Use_USE_REDISTRIBUTION, u.GetRedistribution()}, {gatepb.Use_USE_AI_TRAINING, u.GetAiTraining()},
	} {
		if p.ok {
			permitted = append(permitted, gate.UseName(p.use))
		}
	}
	if len(permitted) == 0 {
		permitted = []string{"nothing"}
	}
	fmt.Fprintf(w, "permitted:  %s\n", strings.Join(permitted, ", "))
	if r.Truncated {
		fmt.Fprintln(w, "            (the lineage was larger than --max-nodes: the answer is incomplete and permits nothing)")
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(r.Restrictions) > 0 {
		fmt.Fprintln(tw, "restricted:")
		for _, res := range r.Restrictions {
			for _, c := range res.Causes {
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", useName(res.Use), strings.TrimPrefix(c.Kind.String(), "CAUSE_KIND_"), licenses.SubjectKey(c.Subject), orDash(c.LicenseId))
			}
		}
	}
	if len(r.Duties) > 0 {
		fmt.Fprintln(tw, "duties:")
		for _, d := range r.Duties {
			fmt.Fprintf(tw, "  attribution\t\t%s\t%s\n", licenses.SubjectKey(d.Subject), d.LicenseId)
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "walked %d records under %d licences\n", len(r.Visited), len(r.Licenses))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

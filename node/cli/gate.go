package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/lineageledger/lineaged/node/client"
	"github.com/lineageledger/lineaged/node/receipt"
	"github.com/lineageledger/lineaged/x/gate"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
)

// Exit codes of lineaged gate check besides 0 (ALLOW), so a pipeline step
// can gate on it.
const (
	exitDeny      = 1
	exitGateError = 2
)

const gateCheckPath = "/lineage.gate.v1.Query/Check"

func (e *env) gateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "gate",
		Short: "Ask whether an exact model artefact may be deployed",
	}
	check := &cobra.Command{
		Use:         "check",
		Annotations: runsQuery(gateCheckPath),
		Short:       "Evaluate the deployment policy for one artefact, organisation and set of uses",
		Long: `Evaluate the consortium's deployment policy for one model artefact, the
deploying organisation and its intended uses, from one version of the chain's
state: registered, not revoked, published by an authorised publisher, signed if
the policy says so, and licensed for every use through its whole lineage.

Name the artefact by --model NAME@VERSION, by --digest (its manifest root
digest), or by --artefact DIR (the digest is computed here, as
"lineaged hash model" does); with a model and a digest both must agree.
--model NAME --alias ALIAS checks the version the alias (production, say)
points to at the height checked; the answer names that version.
--policy FILE adds requirements (JSON, lineage.gate.v1.Policy): it can only make
the chain's policy stricter; a requirement looser than the chain's has no
effect, and is named on stderr. --receipt OUT writes a receipt that anyone can
verify offline with "lineaged verify", recomputing the verdict.

Exit status: 0 ALLOW, 1 DENY, 2 error (so a pipeline step can gate on it).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e.bind(cmd)
			resp, err := e.gateCheck(cmd)
			if err != nil {
				return &exitError{code: exitGateError, msg: err.Error()}
			}
			if err := e.printVerdict(resp); err != nil {
				return &exitError{code: exitGateError, msg: err.Error()}
			}
			if resp.Verdict != gatepb.Verdict_VERDICT_ALLOW {
				return &exitError{code: exitDeny}
			}
			return nil
		},
	}
	f := check.Flags()
	f.String("model", "", "model version, NAME@VERSION (with --alias: the model's NAME)")
	f.String("alias", "", "check the version this alias of --model NAME points to, e.g. production")
	f.String("digest", "", "the artefact's manifest root digest, sha256:<hex>")
	f.String("artefact", "", "the artefact's directory: its manifest root digest is computed")
	f.String("org", "", "the deploying organisation (required)")
	f.String("use", "", "intended uses, comma-separated: "+gate.UseList()+" (required)")
	f.String("policy", "", "JSON file of extra requirements (lineage.gate.v1.Policy)")
	f.String("receipt", "", "write a verifiable receipt of the verdict to this file")
	clientFlags(f)
	f.Int64("height", 0, "evaluate at this state version (0: latest)")
	f.Duration("timeout", 60*time.Second, "how long to wait for the node")
	cmd.AddCommand(check)
	return cmd
}

// gateCheck builds the request, asks the node and returns the verdict.
func (e *env) gateCheck(cmd *cobra.Command) (*gatepb.CheckResponse, error) {
	req := &gatepb.CheckRequest{Model: e.v.GetString("model"), Digest: e.v.GetString("digest"), Org: e.v.GetString("org"), Alias: e.v.GetString("alias")}
	if req.Alias != "" && (req.Model == "" || strings.Contains(req.Model, "@")) {
		return nil, errors.New("--alias needs --model NAME, the model's name without @VERSION")
	}
	if dir := e.v.GetString("artefact"); dir != "" {
		if req.Digest != "" {
			return nil, errors.New("give --digest or --artefact, not both")
		}
		root, err := e.artefactRoot(cmd, dir)
		if err != nil {
			return nil, err
		}
		req.Digest = root
	}
	if req.Model == "" && req.Digest == "" {
		return nil, errors.New("--model, --digest or --artefact is required")
	}
	if e.v.GetString("artefact") == "" && req.Digest != "" {
		if err := checkDigestFlag("digest", req.Digest, "lineaged hash model", "--artefact "+req.Digest); err != nil {
			return nil, err
		}
	}
	if req.Org == "" {
		return nil, errors.New("--org is required")
	}
	uses, err := parseUsesFlag("use", e.v.GetString("use"))
	if err != nil {
		return nil, err
	}
	req.Uses = uses
	var policyJSON []byte
	if p := e.v.GetString("policy"); p != "" {
		b, err := os.ReadFile(expandHome(p))
		if err != nil {
			return nil, fmt.Errorf("--policy: %w", err)
		}
		req.Policy = &gatepb.Policy{}
		if err := protojson.Unmarshal(b, req.Policy); err != nil {
			return nil, fmt.Errorf("--policy %s: %w", p, err)
		}
		policyJSON = b
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), e.v.GetDuration("timeout"))
	defer cancel()
	c, err := e.dial(ctx, cmd)
	if err != nil {
		return nil, err
	}
	var resp gatepb.CheckResponse
	out := e.v.GetString("receipt")
	if out == "" {
		if _, err := c.Query(ctx, gateCheckPath, req, &resp, e.v.GetInt64("height")); err != nil {
			return nil, err
		}
		e.noteLooserPolicy(policyJSON, req.Policy, resp.Policy)
		return &resp, nil
	}
	r, err := c.Receipt(ctx, gateCheckPath, req, e.v.GetInt64("height"))
	if err != nil {
		return nil, err
	}
	data, err := receipt.Marshal(r)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(expandHome(out), data, 0o644); err != nil {
		return nil, fmt.Errorf("failed to write receipt: %w", err)
	}
	fmt.Fprintf(e.stderr, "receipt for height %d written to %s\n", r.Height, out)
	if r.Error != nil {
		return nil, &client.QueryError{Codespace: r.Error.Codespace, Code: r.Error.Code, Log: r.Error.Log}
	}
	if err := protoUnmarshal(r.Answer, &resp); err != nil {
		return nil, err
	}
	e.noteLooserPolicy(policyJSON, req.Policy, resp.Policy)
	return &resp, nil
}

// parseUsesFlag reads the uses of --flag as gate.ParseUses does, saying
// what is wrong in the flag's terms.
func parseUsesFlag(flag, s string) ([]gatepb.Use, error) {
	uses, err := gate.ParseUses(s)
	if err != nil {
		return nil, fmt.Errorf("--%s: %s", flag, strings.TrimPrefix(err.Error(), gate.ErrInvalidRequest.Error()+": uses: "))
	}
	return uses, nil
}

// printVerdict writes the verdict: one line, then the findings.
func (e *env) printVerdict(r *gatepb.CheckResponse) error {
	if e.json() {
		return e.printProto(r)
	}
	verdict := strings.TrimPrefix(r.Verdict.String(), "VERDICT_")
	model := r.Model
	var about []string
	if r.Alias != "" {
		about = append(about, "alias "+r.Alias)
	}
	if r.ManifestDigest != "" {
		about = append(about, r.ManifestDigest)
	}
	if len(about) > 0 {
		model += " (" + strings.Join(about, ", ") + ")"
	}
	if r.PublisherOrg != "" {
		model += " published by " + r.PublisherOrg
	}
	fmt.Fprintf(e.stdout, "%s  %s  at height %d\n", verdict, model, r.Height)
	if len(r.Findings) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for _, f := range r.Findings {
		use := ""
		if f.Use != gatepb.Use_USE_UNSPECIFIED {
			use = gate.UseName(f.Use)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", strings.TrimPrefix(f.Reason.String(), "REASON_"), use, f.Subject, f.LicenseId, f.Detail)
	}
	return tw.Flush()
}

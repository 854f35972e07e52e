package cli

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	lighthttp "github.com/cometbft/cometbft/light/provider/http"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/lineageledger/lineaged/node/receipt"
	"github.com/lineageledger/lineaged/x/gate"
	gatepb "github.com/lineageledger/lineaged/x/gate/gatev1"
)

// Exit codes of lineaged verify: 0 for a valid receipt that meets every
// expectation given.
const (
	// exitInvalid: the receipt does not verify.
	exitInvalid = 1
	// exitUnusable: not a receipt, a bad flag or trust root, a receipt
	// this trust root cannot check, or of another app version.
	exitUnusable = 2
	// exitVerdict: valid, but the verdict is not --expect-verdict.
	exitVerdict = 3
	// exitOtherQuestion: valid, but of another query, model, org or use.
	exitOtherQuestion = 4
	// exitStale: valid, but older than --not-before or --max-age allow.
	exitStale = 5
	// exitOtherArtefact: valid, but not about the --artefact directory.
	exitOtherArtefact = 6
)

// maxReceiptBytes bounds a receipt read from stdin.
const maxReceiptBytes = 64 << 20

func (e *env) verifyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify RECEIPT",
		Short: "Check a receipt offline, without trusting the node that made it",
		Long: `Verify a receipt against a trust root, with no network access. RECEIPT is a file
(- reads stdin) holding a receipt as --receipt writes it, as ?prove=true answers
it, or as POST /v1/receipts answers it ({"receipt": "<base64>"}); whitespace and
field order do not matter (jq . is harmless).

  --trust genesis.json       the chain's genesis: its validators are trusted,
                             and this trust never expires
  --trust HEIGHT:HASH        the hash of the header of block HEIGHT, as this
                             command prints it ("header:") and CometBFT's RPC
                             shows it (block_id.hash). HEIGHT may be the height
                             the receipt names, or any older one: from there the
                             receipt's header is reached as a light client
                             reaches it, through the headers the receipt carries
                             or, with --node, headers a node supplies. A trusted
                             header vouches for --trusting-period after its time.

It checks that the receipt is intact, that its header is signed by more than 2/3
of a validator set reachable from the trust root, that the headers name the app
version this binary implements, that every proof leads to the signed app hash,
and that re-running the query on the proven data alone gives exactly the
recorded answer (for a gate check: the same verdict).

A pipeline also says what it needs the receipt to say (a gate check's only,
except the last two):

  --expect-verdict allow|deny   the verdict
  --expect-model NAME@VERSION   the model version checked
  --expect-org ORG              the deploying organisation asked about
  --expect-use USE              a use asked about (repeatable, or comma-separated)
  --not-before HEIGHT           the state is at HEIGHT or later
  --max-age DURATION            the state's time is at most DURATION before now
  --artefact DIR                the check is about exactly the artefact in DIR:
                                the answer's manifest digest is DIR's, as
                                "lineaged hash model DIR" computes it; and,
                                unless --expect-verdict says otherwise, ALLOW

Exit status: 0 valid (and every expectation met), 1 invalid, 2 unusable input,
3 valid but another verdict, 4 valid but about another question (query, model,
org or use), 5 valid but too old, 6 valid but about another artefact than DIR.
With several unmet, every one is printed and the code is the first of 4, 6, 5, 3.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &exitError{code: exitUnusable, msg: fmt.Sprintf("verify takes one RECEIPT argument, got %d", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			unusable := func(err error) error { return &exitError{code: exitUnusable, msg: err.Error()} }
			trust, err := parseTrust(e.v.GetString("trust"))
			if err != nil {
				return unusable(err)
			}
			if trust.TrustingPeriod, err = cmd.Flags().GetDuration("trusting-period"); err != nil || trust.TrustingPeriod <= 0 {
				return unusable(errors.New("--trusting-period must be a positive duration"))
			}
			expect, err := parseExpect(cmd)
			if err != nil {
				return unusable(err)
			}
			if err := e.expectArtefact(cmd, &expect); err != nil {
				return unusable(err)
			}
			data, err := readReceipt(e.stdin, args[0])
			if err != nil {
				return unusable(err)
			}
			res, err := e.verifyReceipt(cmd, data, trust)
			if err != nil {
				code := exitInvalid
				if errors.Is(err, receipt.ErrUnusable) {
					code = exitUnusable
				}
				if e.json() {
					_ = printJSON(e.stdout, map[string]any{"valid": false, "error": err.Error()})
				}
				return &exitError{code: code, msg: err.Error()}
			}
			unmet := res.Meets(expect)
			if err := e.printVerified(res, trust, unmet); err != nil {
				return err
			}
			switch {
			case unmet == nil:
				return nil
			case errors.Is(unmet, receipt.ErrOtherQuestion):
				return &exitError{code: exitOtherQuestion, msg: unmet.Error()}
			case errors.Is(unmet, receipt.ErrOtherArtefact):
				return &exitError{code: exitOtherArtefact, msg: unmet.Error()}
			case errors.Is(unmet, receipt.ErrStale):
				return &exitError{code: exitStale, msg: unmet.Error()}
			default:
				return &exitError{code: exitVerdict, msg: unmet.Error()}
			}
		},
	}
	f := cmd.Flags()
	f.String("trust", "", "trust root: a genesis file, or HEIGHT:HASH of a trusted header (required)")
	f.Duration("trusting-period", receipt.DefaultTrustingPeriod, "how long after its time a trusted header vouches for later ones (genesis trust never expires)")
	f.String("node", "", "a node's RPC address to fetch the headers the receipt lacks from (untrusted: every header is verified; LINEAGED_NODE is not read, so verification stays offline unless asked)")
	f.String("expect-verdict", "", "require this gate verdict: allow or deny")
	f.String("expect-model", "", "require a gate check of this model version, NAME@VERSION")
	f.String("expect-org", "", "require a gate check for this deploying organisation")
	f.StringArray("expect-use", nil, "require a gate check that asked about this use: "+gate.UseList()+" (repeatable; comma-separated lists too)")
	f.Int64("not-before", 0, "require the state to be at this height or later")
	f.Duration("max-age", 0, "require the state's time to be at most this long before now")
	f.String("artefact", "", "require a gate check about exactly the artefact in this directory (its manifest digest), and an ALLOW unless --expect-verdict says otherwise")
	return cmd
}

// verifyReceipt parses and verifies a receipt, with a node as the source
// of missing headers if --node is given.
func (e *env) verifyReceipt(cmd *cobra.Command, data []byte, trust receipt.Trust) (*receipt.Result, error) {
	r, err := receipt.Parse(data)
	if err != nil {
		return nil, err
	}
	if addr, _ := cmd.Flags().GetString("node"); addr != "" {
		src, err := lighthttp.New(r.ChainID, addr)
		if err != nil {
			return nil, fmt.Errorf("%w: --node %s: %v", receipt.ErrUnusable, addr, err)
		}
		trust.Source = src
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), 2*time.Minute)
	defer cancel()
	return receipt.Verify(ctx, r, trust)
}

// parseExpect reads the expectation flags.
func parseExpect(cmd *cobra.Command) (receipt.Expect, error) {
	f := cmd.Flags()
	var x receipt.Expect
	switch v, _ := f.GetString("expect-verdict"); strings.ToLower(v) {
	case "":
	case "allow":
		x.Verdict = gatepb.Verdict_VERDICT_ALLOW
	case "deny":
		x.Verdict = gatepb.Verdict_VERDICT_DENY
	default:
		return x, fmt.Errorf("--expect-verdict %q: want allow or deny", v)
	}
	x.Model, _ = f.GetString("expect-model")
	if x.Model != "" {
		if name, version, ok := strings.Cut(x.Model, "@"); !ok || name == "" || version == "" {
			return x, fmt.Errorf("--expect-model %q: want NAME@VERSION", x.Model)
		}
	}
	x.Org, _ = f.GetString("expect-org")
	uses, _ := f.GetStringArray("expect-use")
	for _, u := range uses {
		parsed, err := parseUsesFlag("expect-use", u)
		if err != nil {
			return x, err
		}
		x.Uses = append(x.Uses, parsed...)
	}
	x.NotBefore, _ = f.GetInt64("not-before")
	x.MaxAge, _ = f.GetDuration("max-age")
	if x.NotBefore < 0 || x.MaxAge < 0 {
		return x, errors.New("--not-before and --max-age cannot be negative")
	}
	return x, nil
}

// readReceipt reads RECEIPT, or stdin for -, up to maxReceiptBytes.
func readReceipt(stdin io.Reader, path string) ([]byte, error) {
	if path != "-" {
		return readInput(stdin, path)
	}
	b, err := io.ReadAll(io.LimitReader(stdin, maxReceiptBytes+1))
	if err != nil {
		return nil, fmt.Errorf("failed to read stdin: %w", err)
	}
	if len(b) > maxReceiptBytes {
		return nil, fmt.Errorf("the receipt on stdin exceeds %d MiB", maxReceiptBytes>>20)
	}
	return b, nil
}

func parseTrust(s string) (receipt.Trust, error) {
	if s == "" {
		return receipt.Trust{}, errors.New("--trust is required: a genesis file, or HEIGHT:HASH of a header you trust")
	}
	if h, hash, ok := strings.Cut(s, ":"); ok {
		if height, err := strconv.ParseInt(h, 10, 64); err == nil {
			b, err := hex.DecodeString(hash)
			if err != nil || len(b) != 32 || height < 1 {
				return receipt.Trust{}, fmt.Errorf("--trust %q: want HEIGHT:HASH with a positive height and a 64-digit hex header hash", s)
			}
			return receipt.Trust{Height: height, Hash: b}, nil
		}
	}
	if _, err := os.Stat(expandHome(s)); err != nil {
		return receipt.Trust{}, fmt.Errorf("--trust %q is neither HEIGHT:HASH nor a readable genesis file: %v", s, err)
	}
	doc, err := cmttypes.GenesisDocFromFile(expandHome(s))
	if err != nil {
		return receipt.Trust{}, fmt.Errorf("--trust %s: %w", s, err)
	}
	return receipt.Trust{Genesis: doc}, nil
}

// printVerified reports a valid receipt, decoding its request and answer
// for people when their types are known, and whether it meets the
// expectations (unmet: nil if it does, or none were given).
func (e *env) printVerified(res *receipt.Result, trust receipt.Trust, unmet error) error {
	req, resp := describeMessages(res.Path, res.Request, res.Answer)
	header := fmt.Sprintf("%d:%X", res.Height, res.StateHash)
	if e.json() {
		out := map[string]any{
			"valid": true, "chain_id": res.ChainID, "path": res.Path, "height": jsonInt(res.Height),
			"time": res.Time, "app_hash": fmt.Sprintf("%X", res.AppHash), "app_version": jsonInt(res.AppVersion),
			"header": header, "trusted_from": trustedFrom(trust), "verified_heights": jsonInts(res.Verified),
			"proven_keys": res.Keys, "proven_ranges": res.Ranges, "request": req, "answer": resp,
			"meets_expectations": unmet == nil,
		}
		if res.Error != nil {
			out["error"] = res.Error
		}
		if unmet != nil {
			out["unmet"] = unmet.Error()
		}
		return printJSON(e.stdout, out)
	}
	fmt.Fprintf(e.stdout, "valid receipt\n  chain:    %s\n  query:    %s\n  state:    height %d, %s, app hash %X\n  header:   %s\n  trusted:  %s\n  proven:   %d keys, %d ranges\n",
		res.ChainID, res.Path, res.Height, res.Time.UTC().Format("2006-01-02T15:04:05Z"), res.AppHash, header,
		trustChain(trust, res.Verified), res.Keys, res.Ranges)
	if req != nil {
		fmt.Fprintf(e.stdout, "  request:  %s\n", req)
	}
	if res.Error != nil {
		fmt.Fprintf(e.stdout, "  answer:   error %s/%d: %s\n", res.Error.Codespace, res.Error.Code, res.Error.Log)
	} else if resp != nil {
		fmt.Fprintf(e.stdout, "  answer:   %s\n", resp)
	}
	return nil
}

// trustedFrom names the trust root for people.
func trustedFrom(t receipt.Trust) string {
	if t.Genesis != nil {
		return "genesis"
	}
	return fmt.Sprintf("%d:%X", t.Height, t.Hash)
}

// trustChain shows how the signed header was reached: the trust root, then
// each height verified from it.
func trustChain(t receipt.Trust, verified []int64) string {
	s := trustedFrom(t)
	for _, h := range verified {
		if t.Genesis != nil || h != t.Height {
			s += " -> " + strconv.FormatInt(h, 10)
		}
	}
	return s
}

// describeMessages renders a method's request and response as JSON, or
// nil if the method is unknown to this binary.
func describeMessages(path string, request, answer []byte) (req, resp json.RawMessage) {
	svc, method, ok := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	if !ok {
		return nil, nil
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		return nil, nil
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, nil
	}
	md := sd.Methods().ByName(protoreflect.Name(method))
	if md == nil {
		return nil, nil
	}
	render := func(desc protoreflect.MessageDescriptor, b []byte) json.RawMessage {
		mt, err := protoregistry.GlobalTypes.FindMessageByName(desc.FullName())
		if err != nil {
			return nil
		}
		m := mt.New().Interface()
		if err := proto.Unmarshal(b, m); err != nil {
			return nil
		}
		out, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
		if err != nil {
			return nil
		}
		return json.RawMessage(out)
	}
	return render(md.Input(), request), render(md.Output(), answer)
}

package cli

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/lineageledger/lineaged/node/receipt"
)

// Exit codes of lineaged verify.
const (
	exitInvalid  = 1
	exitUnusable = 2
)

func (e *env) verifyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify RECEIPT",
		Short: "Check a receipt offline, without trusting the node that made it",
		Long: `Verify a receipt (from --receipt on queries and gate checks, or POST /v1/receipts)
against a trust root, with no network access:

  --trust genesis.json       the chain's genesis: its validators are trusted
  --trust HEIGHT:HASH        a header hash you trust (e.g. from your own node
                             or an anchor), which the receipt must contain

It checks that the receipt is intact, that its header is signed by more than 2/3
of a validator set reachable from the trust root, that every proof leads to the
signed app hash, and that re-running the query on the proven data alone gives
exactly the recorded answer (for a gate check: the same verdict).

Exit status: 0 valid, 1 invalid (the reason is printed), 2 unusable input.
RECEIPT - reads stdin.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.bind(cmd)
			trust, err := parseTrust(e.v.GetString("trust"))
			if err != nil {
				return &exitError{code: exitUnusable, msg: err.Error()}
			}
			data, err := readInput(e.stdin, args[0])
			if err != nil {
				return &exitError{code: exitUnusable, msg: err.Error()}
			}
			r, err := receipt.Parse(data)
			if err == nil {
				var res *receipt.Result
				if res, err = receipt.Verify(cmd.Context(), r, trust); err == nil {
					return e.printVerified(res)
				}
			}
			code := exitInvalid
			if errors.Is(err, receipt.ErrUnusable) {
				code = exitUnusable
			}
			if e.json() {
				_ = printJSON(e.stdout, map[string]any{"valid": false, "error": err.Error()})
			}
			return &exitError{code: code, msg: err.Error()}
		},
	}
	cmd.Flags().String("trust", "", "trust root: a genesis file, or HEIGHT:HASH of a trusted header (required)")
	must(cmd.MarkFlagRequired("trust"))
	return cmd
}

func parseTrust(s string) (receipt.Trust, error) {
	if h, hash, ok := strings.Cut(s, ":"); ok {
		if height, err := strconv.ParseInt(h, 10, 64); err == nil {
			b, err := hex.DecodeString(hash)
			if err != nil || len(b) != 32 {
				return receipt.Trust{}, fmt.Errorf("--trust %q: want HEIGHT:HASH with a 64-digit hex header hash", s)
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
// for people when their types are known.
func (e *env) printVerified(res *receipt.Result) error {
	req, resp := describeMessages(res.Path, res.Request, res.Answer)
	if e.json() {
		out := map[string]any{
			"valid": true, "chain_id": res.ChainID, "path": res.Path, "height": res.Height,
			"time": res.Time, "app_hash": fmt.Sprintf("%X", res.AppHash), "proven_keys": res.Keys, "proven_ranges": res.Ranges,
			"request": req, "answer": resp,
		}
		if res.Error != nil {
			out["error"] = res.Error
		}
		return printJSON(e.stdout, out)
	}
	fmt.Fprintf(e.stdout, "valid receipt\n  chain:    %s\n  query:    %s\n  state:    height %d, %s, app hash %X\n  proven:   %d keys, %d ranges\n",
		res.ChainID, res.Path, res.Height, res.Time.UTC().Format("2006-01-02T15:04:05Z"), res.AppHash, res.Keys, res.Ranges)
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

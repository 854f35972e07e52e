package client

import (
	"context"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"google.golang.org/protobuf/proto"

	"github.com/lineageledger/lineaged/app"
	"github.com/lineageledger/lineaged/app/txv1"
	"github.com/lineageledger/lineaged/node/keyring"
	"github.com/lineageledger/lineaged/node/receipt"
	membershippb "github.com/lineageledger/lineaged/x/membership/membershipv1"
)

// Client talks to one node.
type Client struct {
	rpc     *rpchttp.HTTP
	chainID string
	// PollInterval is how often Submit looks for its transaction.
	PollInterval time.Duration
}

// Dial connects to a node's CometBFT RPC, e.g. "tcp://127.0.0.1:26657" or
// "https://node.example.org:443".
func Dial(addr string) (*Client, error) {
	if !strings.Contains(addr, "://") {
		addr = "tcp://" + addr
	}
	rpc, err := rpchttp.NewWithTimeout(addr, 30)
	if err != nil {
		return nil, fmt.Errorf("failed to set up RPC client for %s: %w", addr, err)
	}
	return &Client{rpc: rpc, PollInterval: 100 * time.Millisecond}, nil
}

// RPC exposes the underlying CometBFT client for calls this package does
// not wrap.
func (c *Client) RPC() *rpchttp.HTTP { return c.rpc }

// ChainID returns the node's chain id (fetched once).
func (c *Client) ChainID(ctx context.Context) (string, error) {
	if c.chainID != "" {
		return c.chainID, nil
	}
	st, err := c.rpc.Status(ctx)
	if err != nil {
		return "", fmt.Errorf("failed to reach node: %w", err)
	}
	c.chainID = st.NodeInfo.Network
	return c.chainID, nil
}

// WaitForHeight blocks until the node's application has committed height
// h (the block store may be a step ahead of the state).
func (c *Client) WaitForHeight(ctx context.Context, h int64) error {
	for {
		info, err := c.rpc.ABCIInfo(ctx)
		if err == nil && info.Response.LastBlockHeight >= h {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("node did not reach height %d: %w (last error: %v)", h, ctx.Err(), err)
			}
			return fmt.Errorf("node did not reach height %d: %w", h, ctx.Err())
		case <-time.After(c.PollInterval):
		}
	}
}

// QueryError is a query the application answered with an error code.
type QueryError struct {
	Codespace string
	Code      uint32
	Log       string
}

func (e *QueryError) Error() string { return fmt.Sprintf("%s (%s/%d)", e.Log, e.Codespace, e.Code) }

// Query runs an ABCI query: path is a full gRPC method name such as
// "/lineage.membership.v1.Query/Account"; height 0 means latest. It returns
// the height the answer was read at.
func (c *Client) Query(ctx context.Context, path string, req, resp proto.Message, height int64) (int64, error) {
	data, err := proto.Marshal(req)
	if err != nil {
		return 0, fmt.Errorf("failed to encode query: %w", err)
	}
	res, err := c.rpc.ABCIQueryWithOptions(ctx, path, data, rpcclient.ABCIQueryOptions{Height: height})
	if err != nil {
		return 0, fmt.Errorf("failed to query %s: %w", path, err)
	}
	r := res.Response
	if r.Code != 0 {
		return r.Height, &QueryError{Codespace: r.Codespace, Code: r.Code, Log: r.Log}
	}
	if err := proto.Unmarshal(r.Value, resp); err != nil {
		return r.Height, fmt.Errorf("failed to decode %s response: %w", path, err)
	}
	return r.Height, nil
}

// Account fetches an account.
func (c *Client) Account(ctx context.Context, address string) (*membershippb.Account, error) {
	var resp membershippb.QueryAccountResponse
	if _, err := c.Query(ctx, "/lineage.membership.v1.Query/Account", &membershippb.QueryAccountRequest{Address: address}, &resp, 0); err != nil {
		return nil, err
	}
	return resp.Account, nil
}

// Receipt fetches a verifiable answer to the query at path (a full gRPC
// method name) at height; 0 means the newest state a signed header already
// commits to. Check it with [VerifyReceipt] or `lineaged verify`.
func (c *Client) Receipt(ctx context.Context, path string, req proto.Message, height int64) (*receipt.Receipt, error) {
	data, err := proto.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("failed to encode query: %w", err)
	}
	return BuildReceipt(ctx, c.rpc, path, data, height)
}

// VerifyReceipt checks a receipt offline against a trust root and decodes
// its answer into resp.
func VerifyReceipt(ctx context.Context, r *receipt.Receipt, trust receipt.Trust, resp proto.Message) (*receipt.Result, error) {
	res, err := receipt.Verify(ctx, r, trust)
	if err != nil {
		return nil, err
	}
	if res.Error != nil {
		return res, &QueryError{Codespace: res.Error.Codespace, Code: res.Error.Code, Log: res.Error.Log}
	}
	if resp != nil {
		if err := proto.Unmarshal(res.Answer, resp); err != nil {
			return res, fmt.Errorf("failed to decode the answer: %w", err)
		}
	}
	return res, nil
}

// TxOptions are the optional envelope fields of a transaction.
type TxOptions struct {
	// Sequence overrides the account's sequence fetched from the node.
	Sequence *uint64
	// TimeoutHeight voids the transaction above this height (0: never).
	TimeoutHeight uint64
	Memo          string
}

// Build signs a transaction carrying msg (a message such as
// &membershippb.MsgAddAccount{...}) for signer.
func (c *Client) Build(ctx context.Context, signer keyring.Signer, msg proto.Message, opts TxOptions) ([]byte, error) {
	return c.BuildWith(ctx, signer, func(string, uint64) (proto.Message, error) { return msg, nil }, opts)
}

// BuildWith is Build for messages that depend on the envelope: msgFor
// receives the chain id and the sequence the transaction will carry (a key
// rotation's proof signs both).
func (c *Client) BuildWith(ctx context.Context, signer keyring.Signer, msgFor func(chainID string, sequence uint64) (proto.Message, error), opts TxOptions) ([]byte, error) {
	chainID, err := c.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	body := &txv1.TxBody{ChainId: chainID, Signer: signer.Address(), TimeoutHeight: opts.TimeoutHeight, Memo: opts.Memo}
	if opts.Sequence != nil {
		body.Sequence = *opts.Sequence
	} else {
		acct, err := c.Account(ctx, signer.Address())
		if err != nil {
			return nil, fmt.Errorf("failed to fetch account %s: %w", signer.Address(), err)
		}
		body.Sequence = acct.Sequence
	}
	msg, err := msgFor(chainID, body.Sequence)
	if err != nil {
		return nil, err
	}
	if err := app.SetMsg(body, msg); err != nil {
		return nil, err
	}
	return app.EncodeTx(body, signer.Sign)
}

// Result is the outcome of a submitted transaction.
type Result struct {
	TxHash    string       `json:"tx_hash"`
	Height    int64        `json:"height,string"` // a string, as protobuf JSON writes 64-bit integers
	Code      uint32       `json:"code"`
	Codespace string       `json:"codespace"`
	Log       string       `json:"log"`
	Events    []abci.Event `json:"events"`
	// Simulated marks the outcome of [Client.Simulate]: what a block would
	// make of the transaction, which was not broadcast.
	Simulated bool `json:"simulated,omitempty"`
}

// hashString writes a transaction hash as CometBFT's RPC does: upper-case hex.
func hashString(h []byte) string { return strings.ToUpper(hex.EncodeToString(h)) }

// OK reports whether the transaction was committed and succeeded, or,
// for a simulation, would succeed.
func (r *Result) OK() bool { return r.Code == 0 && (r.Height > 0 || r.Simulated) }

// Simulate runs raw on the node's mempool view as the next block would,
// its message's handler included, without broadcasting it or spending
// anything (app.SimulatePath): the node's mempool checks admission only,
// so this is how to learn beforehand whether the handler accepts it. The
// result has Simulated set and Height 0; the same bytes can be submitted
// afterwards.
func (c *Client) Simulate(ctx context.Context, raw []byte) (*Result, error) {
	hash := app.TxHash(raw)
	res := &Result{TxHash: hashString(hash[:]), Simulated: true}
	q, err := c.rpc.ABCIQuery(ctx, app.SimulatePath, raw)
	if err != nil {
		return nil, fmt.Errorf("failed to simulate: %w", err)
	}
	if r := q.Response; r.Code != 0 {
		return nil, &QueryError{Codespace: r.Codespace, Code: r.Code, Log: r.Log}
	}
	var out abci.ExecTxResult
	if err := out.Unmarshal(q.Response.Value); err != nil {
		return nil, fmt.Errorf("failed to decode the simulated result: %w", err)
	}
	res.Code, res.Codespace, res.Log, res.Events = out.Code, out.Codespace, out.Log, out.Events
	return res, nil
}

// Submit broadcasts raw and waits until it is committed (or rejected by the
// node's mempool check, in which case Height is 0). It gives up when ctx
// ends; the transaction may still be committed later.
func (c *Client) Submit(ctx context.Context, raw []byte) (*Result, error) {
	hash := app.TxHash(raw)
	res := &Result{TxHash: hashString(hash[:])}
	bres, err := c.rpc.BroadcastTxSync(ctx, raw)
	if err != nil {
		if cs, code, log, ok := parseCheckTxRejection(err.Error()); ok {
			res.Code, res.Codespace, res.Log = code, cs, log
			return res, nil
		}
		// The tx may already be in the mempool or cache (a retry); look for it.
		if !strings.Contains(err.Error(), "already exists in cache") {
			return nil, fmt.Errorf("failed to broadcast: %w", err)
		}
	} else if bres.Code != 0 {
		res.Code, res.Codespace, res.Log = bres.Code, bres.Codespace, bres.Log
		return res, nil
	}
	return c.Wait(ctx, hash[:], res)
}

// checkTxRejection matches how CometBFT v1 reports a transaction its
// mempool check refused: as an RPC error carrying mempool.ErrInvalidTx's text.
var checkTxRejection = regexp.MustCompile(`(?s)is invalid: code=(\d+), data=[0-9A-Fa-f]*, log='(.*)', codespace='([^']*)'`)

func parseCheckTxRejection(msg string) (codespace string, code uint32, log string, ok bool) {
	m := checkTxRejection.FindStringSubmatch(msg)
	if m == nil {
		return "", 0, "", false
	}
	n, err := strconv.ParseUint(m[1], 10, 32)
	if err != nil {
		return "", 0, "", false
	}
	return m[3], uint32(n), m[2], true
}

// Wait polls for a transaction by hash until it is committed.
func (c *Client) Wait(ctx context.Context, hash []byte, res *Result) (*Result, error) {
	if res == nil {
		res = &Result{TxHash: hashString(hash)}
	}
	tick := time.NewTicker(c.PollInterval)
	defer tick.Stop()
	for {
		tr, err := c.rpc.Tx(ctx, hash, false)
		if err == nil {
			res.Height = tr.Height
			res.Code, res.Codespace, res.Log = tr.TxResult.Code, tr.TxResult.Codespace, tr.TxResult.Log
			res.Events = tr.TxResult.Events
			return res, nil
		}
		if !strings.Contains(err.Error(), "not found") {
			return nil, fmt.Errorf("failed to look up tx %s: %w", res.TxHash, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("tx %s not committed yet: %w", res.TxHash, ctx.Err())
		case <-tick.C:
		}
	}
}

package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// rpcClient speaks CometBFT's JSON-RPC over HTTP, and only the few calls the
// load needs. It is its own small client rather than CometBFT's so that a
// broadcast costs the generator one pre-encoded POST and nothing else, and
// so that its connection pool is as large as the number of lanes.
type rpcClient struct {
	base string
	http *http.Client
}

// sharedTransport keeps one idle connection per lane to every node.
var sharedTransport = &http.Transport{
	MaxIdleConns:        1024,
	MaxIdleConnsPerHost: 256,
	IdleConnTimeout:     90 * time.Second,
	DisableCompression:  true,
}

// newRPC takes an address as testnets write it ("tcp://127.0.3.11:26657").
func newRPC(addr string) *rpcClient {
	addr = strings.TrimPrefix(addr, "tcp://")
	addr = strings.TrimPrefix(addr, "http://")
	return &rpcClient{base: "http://" + addr, http: &http.Client{Transport: sharedTransport, Timeout: 30 * time.Second}}
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    string `json:"data"`
}

func (e *rpcError) Error() string { return fmt.Sprintf("%s: %s", e.Message, e.Data) }

// broadcastBody is the JSON-RPC request of broadcast_tx_sync for raw,
// encoded once, ahead of time.
func broadcastBody(raw []byte) []byte {
	return fmt.Appendf(nil, `{"jsonrpc":"2.0","id":0,"method":"broadcast_tx_sync","params":{"tx":"%s"}}`, base64.StdEncoding.EncodeToString(raw))
}

// outcome is what a node did with a broadcast transaction.
type outcome int

const (
	// accepted: in the node's mempool (or already seen by it).
	accepted outcome = iota
	// mempoolFull: refused for lack of room; the same bytes may be sent again.
	mempoolFull
	// rejected: refused by CheckTx or the RPC layer for any other reason.
	rejected
)

// broadcast posts a pre-encoded broadcast_tx_sync request.
func (c *rpcClient) broadcast(ctx context.Context, body []byte) (outcome, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base, bytes.NewReader(body))
	if err != nil {
		return rejected, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return rejected, "", err
	}
	defer resp.Body.Close()
	var out struct {
		Result *struct {
			Code      uint32 `json:"code"`
			Log       string `json:"log"`
			Codespace string `json:"codespace"`
		} `json:"result"`
		Error *rpcError `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return rejected, "", fmt.Errorf("broadcast answer: %w", err)
	}
	switch {
	case out.Error != nil:
		msg := out.Error.Data
		switch {
		case strings.Contains(msg, "mempool is full"):
			return mempoolFull, msg, nil
		case strings.Contains(msg, "already exists in cache"), strings.Contains(msg, "tx already exists"):
			return accepted, "", nil
		}
		return rejected, msg, nil
	case out.Result == nil:
		return rejected, "empty answer", nil
	case out.Result.Code != 0:
		return rejected, fmt.Sprintf("%s/%d: %s", out.Result.Codespace, out.Result.Code, out.Result.Log), nil
	}
	return accepted, "", nil
}

// get runs a JSON-RPC call by URI and decodes its result into result; a
// JSON-RPC error comes back as *rpcError.
func (c *rpcClient) get(ctx context.Context, path string, result any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var out struct {
		Result json.RawMessage `json:"result"`
		Error  *rpcError       `json:"error"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if out.Error != nil {
		return out.Error
	}
	return json.Unmarshal(out.Result, result)
}

// status returns the node's latest block height.
func (c *rpcClient) status(ctx context.Context) (int64, error) {
	var st struct {
		SyncInfo struct {
			LatestBlockHeight int64 `json:"latest_block_height,string"`
		} `json:"sync_info"`
	}
	if err := c.get(ctx, "/status", &st); err != nil {
		return 0, err
	}
	return st.SyncInfo.LatestBlockHeight, nil
}

// pending is how many transactions wait in the node's mempool.
func (c *rpcClient) pending(ctx context.Context) (int, error) {
	var n struct {
		Total int `json:"total,string"`
	}
	if err := c.get(ctx, "/num_unconfirmed_txs", &n); err != nil {
		return 0, err
	}
	return n.Total, nil
}

// appHeight is the last height the application itself reports (ABCI
// Info, through /abci_info): a block at or below it has been executed, not
// only stored. This chain reports a height after its Commit; kvstore after
// FinalizeBlock, a little earlier.
func (c *rpcClient) appHeight(ctx context.Context) (int64, error) {
	var info struct {
		Response struct {
			LastBlockHeight int64 `json:"last_block_height,string"`
		} `json:"response"`
	}
	if err := c.get(ctx, "/abci_info", &info); err != nil {
		return 0, err
	}
	return info.Response.LastBlockHeight, nil
}

// chainBlock is what the observer reads of a committed block.
type chainBlock struct {
	height int64
	time   time.Time
	// txs are base64, as the RPC shows them: the load's keys.
	txs []string
}

// block fetches block h; it fails while h is not yet committed. Only the
// header time and the transactions are read, by scanning the answer rather
// than decoding it: a block of thousands of transactions is megabytes of
// JSON, and the observer must not compete with the nodes for the CPU more
// than it has to.
func (c *rpcClient) block(ctx context.Context, h int64) (*chainBlock, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/block?height=%d", c.base, h), nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return parseBlock(h, body)
}

// parseBlock scans a /block answer for the header's time and the
// transactions (base64 strings, which hold no escapes).
func parseBlock(h int64, body []byte) (*chainBlock, error) {
	header := bytes.Index(body, []byte(`"header":{`))
	if !bytes.Contains(body, []byte(`"result":`)) || header < 0 {
		var out struct {
			Error *rpcError `json:"error"`
		}
		if err := json.Unmarshal(body, &out); err == nil && out.Error != nil {
			return nil, out.Error
		}
		return nil, fmt.Errorf("block %d: unexpected answer", h)
	}
	rest := body[header:]
	i := bytes.Index(rest, []byte(`"time":"`))
	if i < 0 {
		return nil, fmt.Errorf("block %d: no header time", h)
	}
	rest = rest[i+len(`"time":"`):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return nil, fmt.Errorf("block %d: bad header time", h)
	}
	t, err := time.Parse(time.RFC3339Nano, string(rest[:j]))
	if err != nil {
		return nil, fmt.Errorf("block %d: header time: %w", h, err)
	}
	out := &chainBlock{height: h, time: t}
	k := bytes.Index(rest, []byte(`"txs":`))
	if k < 0 {
		return nil, fmt.Errorf("block %d: no transactions field", h)
	}
	rest = rest[k+len(`"txs":`):]
	if bytes.HasPrefix(rest, []byte("null")) {
		return out, nil
	}
	if len(rest) == 0 || rest[0] != '[' {
		return nil, fmt.Errorf("block %d: bad transactions field", h)
	}
	rest = rest[1:]
	for len(rest) > 0 && rest[0] != ']' {
		if rest[0] == ',' {
			rest = rest[1:]
			continue
		}
		if rest[0] != '"' {
			return nil, fmt.Errorf("block %d: bad transaction list", h)
		}
		end := bytes.IndexByte(rest[1:], '"')
		if end < 0 {
			return nil, fmt.Errorf("block %d: unterminated transaction", h)
		}
		out.txs = append(out.txs, string(rest[1:1+end]))
		rest = rest[end+2:]
	}
	return out, nil
}

// failedTxs sums lineaged_txs_total over every result but "ok" from a
// node's Prometheus metrics: how many transactions failed in their handler.
func failedTxs(ctx context.Context, metricsAddr string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+metricsAddr+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "lineaged_txs_total{") || strings.Contains(line, `result="ok"`) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return 0, fmt.Errorf("metrics line %q: %w", line, err)
		}
		total += int(v)
	}
	return total, nil
}

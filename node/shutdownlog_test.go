package node

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lineageledger/lineaged/node/client"
)

// lockedBuffer is a log sink safe to read while the node writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestCleanShutdownLogsNoErrors: a node stopped on request logs no
// error-level line, its listeners closing included.
func TestCleanShutdownLogsNoErrors(t *testing.T) {
	logs := &lockedBuffer{}
	n, _ := startTestNodeLogging(t, logs)
	c, err := client.Dial(n.RPCAddress())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := c.WaitForHeight(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	if errs := regexp.MustCompile(`(?m)^E\[.*$`).FindAllString(logs.String(), -1); len(errs) > 0 {
		t.Fatalf("a clean stop logged errors:\n%s", errs)
	}
	if !regexp.MustCompile(`(?m)^I\[.*(Stopped accept routine|Error serving server)`).MatchString(logs.String()) {
		t.Log("the listeners' closing was not logged at all; nothing to check")
	}
}

// TestShutdownLoggerKeepsRealErrors: before the node stops, and for other
// errors at any time, error lines stay errors.
func TestShutdownLoggerKeepsRealErrors(t *testing.T) {
	var buf bytes.Buffer
	base, err := NewLogger(&buf, LogConfig{Level: "info"})
	if err != nil {
		t.Fatal(err)
	}
	l := shutdownLogger{Logger: base, stopping: new(atomic.Bool)}
	l.With("module", "p2p").Error("Stopped accept routine, as transport is closed")
	l.stopping.Store(true)
	l.Error("consensus failure", "err", context.DeadlineExceeded)
	l.With("module", "p2p").Error("Stopped accept routine, as transport is closed")
	l.With("module", "p2p").Error("Won't start a peer - switch is not running", "peer", "p")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := [][2]string{{"E[", "Stopped accept routine"}, {"E[", "consensus failure"}, {"I[", "Stopped accept routine"}, {"I[", "Won't start a peer"}}
	if len(lines) != len(want) {
		t.Fatalf("logged:\n%s", buf.String())
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w[0]) || !strings.Contains(lines[i], w[1]) {
			t.Errorf("line %d: %q, want %s...%s", i, lines[i], w[0], w[1])
		}
	}
}

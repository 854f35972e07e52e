package node

import (
	"errors"
	"net"
	"sync/atomic"

	cmtlog "github.com/cometbft/cometbft/libs/log"
)

// shutdownLogger passes everything through to its logger but, once the
// node is stopping, logs at info level the errors CometBFT reports for
// its own listeners closing under it ("Stopped accept routine, as
// transport is closed", "Error serving server ... use of closed network
// connection"): they are how a clean stop looks from inside, and an
// operator's alerting on error lines should not fire on every restart.
type shutdownLogger struct {
	cmtlog.Logger
	stopping *atomic.Bool
}

func (l shutdownLogger) Error(msg string, keyvals ...any) {
	if l.stopping.Load() && closingNoise(msg, keyvals) {
		l.Logger.Info(msg, keyvals...)
		return
	}
	l.Logger.Error(msg, keyvals...)
}

func (l shutdownLogger) With(keyvals ...any) cmtlog.Logger {
	return shutdownLogger{Logger: l.Logger.With(keyvals...), stopping: l.stopping}
}

// stoppingMessages are error lines CometBFT writes while a node with peers
// stops: its reactors stopping twice, peers it no longer starts, and its
// connections closing under it.
var stoppingMessages = map[string]bool{
	"Stopped accept routine, as transport is closed": true,
	"Error stopping pool":                            true,
	"Won't start a peer - switch is not running":     true,
	"Stopping peer for error":                        true,
}

// closingNoise reports whether an error line only says the node's own
// listeners, reactors or connections closed.
func closingNoise(msg string, keyvals []any) bool {
	if stoppingMessages[msg] {
		return true
	}
	for i := 1; i < len(keyvals); i += 2 {
		if err, ok := keyvals[i].(error); ok && errors.Is(err, net.ErrClosed) {
			return true
		}
	}
	return false
}

// Package nodetest holds helpers for tests that run nodes as processes or
// in-process: free loopback ports that stay free long enough to be used.
package nodetest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
)

// Ports are drawn below Linux's default ephemeral range (32768-60999), so
// that the many client connections a loaded test opens cannot take a port
// a node is about to (re)bind, and never handed out twice in one process.
const (
	lowPort  = 20000
	highPort = 32000
)

var (
	mu    sync.Mutex
	given = map[int]bool{}
)

// FreePort returns a loopback TCP port that is free now and was not given
// out before by this process.
func FreePort() (int, error) {
	mu.Lock()
	defer mu.Unlock()
	for range 1000 {
		p := lowPort + rand.IntN(highPort-lowPort)
		if given[p] {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			continue
		}
		ln.Close()
		given[p] = true
		return p, nil
	}
	return 0, fmt.Errorf("no free port in %d-%d", lowPort, highPort)
}

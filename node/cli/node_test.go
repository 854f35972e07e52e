package cli

import "testing"

// TestDevP2PAddress: a dev home whose config.toml listens for P2P on every
// interface (written before dev chains defaulted to loopback) is moved to
// loopback on the same port; anything else is left as configured.
func TestDevP2PAddress(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		moved    bool
	}{
		{"tcp://0.0.0.0:26656", "tcp://127.0.0.1:26656", true},
		{"tcp://0.0.0.0:36656", "tcp://127.0.0.1:36656", true},
		{"tcp://[::]:26656", "tcp://127.0.0.1:26656", true},
		{"tcp://:26656", "tcp://127.0.0.1:26656", true},
		{"0.0.0.0:26656", "tcp://127.0.0.1:26656", true},
		{"tcp://127.0.0.1:26656", "tcp://127.0.0.1:26656", false},
		{"tcp://[::1]:26656", "tcp://[::1]:26656", false},
		{"tcp://192.0.2.7:26656", "tcp://192.0.2.7:26656", false},
		{"unix:///tmp/p2p.sock", "unix:///tmp/p2p.sock", false},
		{"garbage", "garbage", false},
	} {
		got, moved := devP2PAddress(tc.in)
		if got != tc.want || moved != tc.moved {
			t.Errorf("devP2PAddress(%q) = %q, %v; want %q, %v", tc.in, got, moved, tc.want, tc.moved)
		}
	}
}

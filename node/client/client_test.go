package client

import "testing"

func TestParseCheckTxRejection(t *testing.T) {
	cases := []struct {
		in      string
		ok      bool
		cs, log string
		code    uint32
	}{
		{"RPC error -32603 - Internal error: broadcast error on transaction validation: tx 3A35 is invalid: code=8, data=, log='public key already used: it's taken', codespace='membership'", true, "membership", "public key already used: it's taken", 8},
		{"tx AB is invalid: code=12, data=0A0B, log='', codespace='tx'", true, "tx", "", 12},
		{"tx already exists in cache", false, "", "", 0},
		{"connection refused", false, "", "", 0},
	}
	for _, c := range cases {
		cs, code, log, ok := parseCheckTxRejection(c.in)
		if ok != c.ok || cs != c.cs || code != c.code || log != c.log {
			t.Errorf("parse(%q) = %q %d %q %v; want %q %d %q %v", c.in, cs, code, log, ok, c.cs, c.code, c.log, c.ok)
		}
	}
}

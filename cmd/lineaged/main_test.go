package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/lineageledger/lineaged/node/cli"
	"github.com/lineageledger/lineaged/node/client"
	"github.com/lineageledger/lineaged/node/keyring"
	"github.com/lineageledger/lineaged/node/nodetest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"lineaged": func() {
			keyring.ScryptWorkFactor = 10 // fast keyrings in tests only
			os.Exit(cli.Execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// TestScripts runs the CLI scripts in testdata/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams("testdata"))
}

// scriptParams runs the scripts in dir. Each gets free loopback ports in
// $RPC, $P2P, $GRPC, $REST and $LIGHT, a private $HOME, and the commands
// below.
func scriptParams(dir string) testscript.Params {
	return testscript.Params{
		Dir: dir,
		Setup: func(env *testscript.Env) error {
			for _, name := range []string{"RPC", "P2P", "GRPC", "REST", "LIGHT"} {
				p, err := nodetest.FreePort()
				if err != nil {
					return err
				}
				env.Setenv(name, strconv.Itoa(p))
			}
			env.Setenv("HOME", env.WorkDir+"/home")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// exitcode N PROG ARGS...: run PROG and require exit status N
			// (stdout and stderr are kept for the next commands).
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exitcode N PROG [ARGS...]")
				}
				want, err := strconv.Atoi(args[0])
				ts.Check(err)
				got := 0
				if err := ts.Exec(args[1], args[2:]...); err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						ts.Fatalf("%s: %v", args[1], err)
					}
					got = ee.ExitCode()
				}
				if got != want {
					ts.Fatalf("%s exited %d, want %d", args[1], got, want)
				}
			},
			// flipbyte FILE OFFSET: flip the lowest bit of one byte, as
			// corruption or tampering would.
			"flipbyte": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: flipbyte FILE OFFSET")
				}
				off, err := strconv.Atoi(args[1])
				ts.Check(err)
				path := ts.MkAbs(args[0])
				b, err := os.ReadFile(path)
				ts.Check(err)
				if off < 0 {
					off += len(b)
				}
				b[off] ^= 1
				ts.Check(os.WriteFile(path, b, 0o644))
			},
			// waitheight PORT HEIGHT: wait up to 60 s for the node's RPC on
			// 127.0.0.1:PORT to report HEIGHT committed.
			"waitheight": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 {
					ts.Fatalf("usage: waitheight PORT HEIGHT")
				}
				h, err := strconv.ParseInt(args[1], 10, 64)
				ts.Check(err)
				c, err := client.Dial("tcp://127.0.0.1:" + args[0])
				ts.Check(err)
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				err = c.WaitForHeight(ctx, h)
				if (err != nil) != neg {
					ts.Fatalf("waitheight: %v", err)
				}
			},
		},
	}
}

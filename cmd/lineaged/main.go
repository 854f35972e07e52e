package main

import (
	"os"

	"github.com/lineageledger/lineaged/node/cli"
)

func main() {
	os.Exit(cli.Execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

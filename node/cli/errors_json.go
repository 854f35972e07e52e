package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lineageledger/lineaged/node"
	"github.com/lineageledger/lineaged/node/client"
)

// jsonError is how a command's error reads under -o json: one line on
// stderr, after whatever notes for people came before it. The answer, if
// any, is on stdout, so that a redirected answer (`> signed.json`) never
// holds an error.
type jsonError struct {
	Error string `json:"error"`
	// ExitCode is the process's exit status.
	ExitCode int `json:"exit_code"`
	// Codespace and Code are the chain's code when the chain refused the
	// request (a query's error), as a transaction's result carries them.
	Codespace string `json:"codespace,omitempty"`
	Code      uint32 `json:"code,omitempty"`
}

// reportError writes err (whose text is msg) on w: "Error: msg" for
// people, a [jsonError] under -o json.
func reportError(w io.Writer, asJSON bool, msg string, exitCode int, err error) {
	if !asJSON {
		fmt.Fprintln(w, "Error:", msg)
		return
	}
	out := jsonError{Error: msg, ExitCode: exitCode}
	var qe *client.QueryError
	if errors.As(err, &qe) {
		out.Codespace, out.Code = qe.Codespace, qe.Code
	}
	if printJSON(w, out) != nil {
		fmt.Fprintln(w, "Error:", msg)
	}
}

// jsonRequested says whether a command line asks for -o json: the parsed
// flag if parsing got that far, else the arguments as written (a flag that
// does not parse stops cobra before it reads the others), else
// $LINEAGED_OUTPUT, else the output the command resolved before it failed
// (the home's client.toml).
func jsonRequested(root *cobra.Command, args []string) bool {
	if o, ok := root.Annotations[annotationResolvedOutput]; ok {
		return o == "json"
	}
	if f := root.PersistentFlags().Lookup("output"); f != nil && f.Changed {
		return strings.EqualFold(f.Value.String(), "json")
	}
	for i, a := range args {
		if a == "--" {
			break
		}
		var v string
		switch {
		case a == "-o" || a == "--output":
			if i+1 < len(args) {
				v = args[i+1]
			}
		case strings.HasPrefix(a, "--output="):
			v = strings.TrimPrefix(a, "--output=")
		case strings.HasPrefix(a, "-o"):
			v = strings.TrimPrefix(strings.TrimPrefix(a, "-o"), "=")
		default:
			continue
		}
		return strings.EqualFold(v, "json")
	}
	return strings.EqualFold(os.Getenv(node.EnvPrefix+"_OUTPUT"), "json")
}

// annotationResolvedOutput holds, on the root command, the output format a
// command resolved from its flag, environment or client.toml, so that its
// error is printed in that format too.
const annotationResolvedOutput = "lineaged/resolved-output"

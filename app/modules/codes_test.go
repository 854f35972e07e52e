package modules

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lineageledger/lineaged/x/kit"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

const codesGolden = "testdata/codes.golden"

// errorTable is one module's published error table and the source file
// that defines it, relative to this package.
type errorTable struct {
	codespace string
	errors    []*kit.Error
	source    string
}

// errorTables are the tables of every module of the chain's table.
func errorTables() []errorTable {
	var out []errorTable
	for _, m := range Default().Modules() {
		if len(m.Errors) == 0 {
			continue
		}
		source := "../../x/" + m.Name + "/errors.go"
		if m.Name == "app" {
			source = "errors.go"
		}
		out = append(out, errorTable{m.Codespace, m.Errors, source})
	}
	return out
}

// TestErrorCodesStable: codespaces, codes and messages are consensus and
// API, so any change to them must show up as a change of the golden file
// (regenerate with go test ./app/modules -run TestErrorCodesStable -update).
func TestErrorCodesStable(t *testing.T) {
	var b strings.Builder
	for _, tbl := range errorTables() {
		seen := map[uint32]string{}
		for _, e := range tbl.errors {
			if e.Codespace != tbl.codespace {
				t.Errorf("%q: codespace %q, want %q", e.Message, e.Codespace, tbl.codespace)
			}
			if e.Code == 0 {
				t.Errorf("%s %q: code 0 means success", e.Codespace, e.Message)
			}
			if prev, dup := seen[e.Code]; dup {
				t.Errorf("%s code %d used by %q and %q", e.Codespace, e.Code, prev, e.Message)
			}
			seen[e.Code] = e.Message
			if e.Message == "" || strings.ContainsAny(e.Message, "\n\r") {
				t.Errorf("%s/%d: message %q must be one non-empty line", e.Codespace, e.Code, e.Message)
			}
			fmt.Fprintf(&b, "%s %d %s\n", e.Codespace, e.Code, e.Message)
		}
	}
	got := b.String()

	if *update {
		if err := os.MkdirAll(filepath.Dir(codesGolden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(codesGolden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", codesGolden)
		return
	}
	wantBytes, err := os.ReadFile(codesGolden)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	if want := string(wantBytes); got != want {
		t.Fatalf("error table changed; if intended, rerun with -update.\n%s", cmp.Diff(strings.Split(want, "\n"), strings.Split(got, "\n")))
	}
}

// TestErrorTablesComplete: every error a source file defines with
// kit.NewError is in its published table, so the golden file cannot miss
// one.
func TestErrorTablesComplete(t *testing.T) {
	for _, tbl := range errorTables() {
		t.Run(tbl.codespace, func(t *testing.T) {
			defined := newErrorCalls(t, tbl.source)
			if len(defined) == 0 {
				t.Fatalf("found no kit.NewError calls in %s", tbl.source)
			}
			listed := map[uint32]string{}
			for _, e := range tbl.errors {
				listed[e.Code] = e.Message
			}
			for code, msg := range defined {
				if got, ok := listed[code]; !ok || got != msg {
					t.Errorf("%s defines code %d %q; table has %q (listed %v)", tbl.source, code, msg, got, ok)
				}
			}
			if len(defined) != len(tbl.errors) {
				t.Errorf("%s defines %d errors, table lists %d", tbl.source, len(defined), len(tbl.errors))
			}
		})
	}
}

// newErrorCalls returns code → message of every kit.NewError call with
// literal arguments in the file.
func newErrorCalls(t *testing.T, path string) map[uint32]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint32]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "NewError" || len(call.Args) != 3 {
			return true
		}
		codeLit, ok1 := call.Args[1].(*ast.BasicLit)
		msgLit, ok2 := call.Args[2].(*ast.BasicLit)
		if !ok1 || !ok2 {
			t.Errorf("%s: kit.NewError with non-literal code or message", path)
			return true
		}
		code, err := strconv.ParseUint(codeLit.Value, 10, 32)
		if err != nil {
			t.Errorf("%s: code %s: %v", path, codeLit.Value, err)
			return true
		}
		msg, err := strconv.Unquote(msgLit.Value)
		if err != nil {
			t.Errorf("%s: message %s: %v", path, msgLit.Value, err)
			return true
		}
		if prev, dup := out[uint32(code)]; dup {
			t.Errorf("%s: code %d defined twice (%q, %q)", path, code, prev, msg)
		}
		out[uint32(code)] = msg
		return true
	})
	return out
}

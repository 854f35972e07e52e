package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"
)

// TestConsortiumWalkthrough runs docs/consortium.md's three-organisation
// genesis ceremony as pasted into a shell: three homes, one genesis, the
// same hash everywhere, three nodes making blocks together, and a record
// one organisation writes read through another's node.
func TestConsortiumWalkthrough(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	doc, err := os.ReadFile("../../docs/consortium.md")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(doc), "## A three-organisation rehearsal")
	end := strings.Index(string(doc), "\n## What comes next")
	if start < 0 || end < start {
		t.Fatal("docs/consortium.md has no rehearsal section")
	}
	w := parseWalkthrough(string(doc)[start:end])
	if len(w.answers) < 2 || !strings.Contains(w.script, "lineaged genesis collect") {
		t.Fatalf("the rehearsal shows %d answers and collects nothing", len(w.answers))
	}
	var checks strings.Builder
	// Whatever fails, the nodes stop.
	checks.WriteString("exec bash -e -o pipefail -c 'trap \"bash stop.sh\" EXIT; . ./walk.sh'\n")
	for i, shown := range w.answers {
		for _, line := range shown {
			if strings.TrimSpace(line) == "" || strings.Contains(line, "...") {
				continue
			}
			fmt.Fprintf(&checks, "grep '%s' out-%d.txt\n", strings.ReplaceAll(answerPattern(line), "'", "''"), i+1)
		}
	}
	// No node failed; each ran the chain to the end.
	for _, org := range []string{"acme", "beta", "gamma"} {
		fmt.Fprintf(&checks, "! grep 'CONSENSUS FAILURE' %s.log\n", org)
	}
	ar := &txtar.Archive{Comment: []byte(checks.String()), Files: []txtar.File{
		{Name: "walk.sh", Data: []byte(w.script)},
		{Name: "stop.sh", Data: []byte("if [ -f nodes.pid ]; then kill -INT $(cat nodes.pid) 2> /dev/null || true; fi\n")},
	}}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "consortium.txtar"), txtar.Format(ar), 0o644); err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, scriptParams(dir))
}

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/rogpeppe/go-internal/txtar"
)

// walkthrough is the README's walkthrough turned into one shell script,
// and the output each of its "$ command" examples shows.
type walkthrough struct {
	script  string
	answers [][]string // by example, in order: the lines shown
}

// parseWalkthrough reads the README section: its sh blocks run as they
// are (a line marked "# rejected" must fail), and each "$ command" of the
// other blocks runs with its output kept in out-N.txt, N counting from 1.
func parseWalkthrough(section string) walkthrough {
	var w walkthrough
	var script strings.Builder
	for _, m := range regexp.MustCompile("(?s)```(sh)?\n(.*?)```").FindAllStringSubmatch(section, -1) {
		if m[1] == "sh" {
			for _, line := range strings.Split(m[2], "\n") {
				if strings.Contains(line, "# rejected") {
					line = "! " + line
				}
				script.WriteString(line + "\n")
			}
			continue
		}
		lines := strings.Split(m[2], "\n")
		for i := 0; i < len(lines); i++ {
			cmd, ok := strings.CutPrefix(lines[i], "$ ")
			if !ok {
				continue
			}
			for strings.HasSuffix(cmd, "\\") && i+1 < len(lines) {
				i++
				cmd += "\n" + lines[i]
			}
			var shown []string
			for i+1 < len(lines) && !strings.HasPrefix(lines[i+1], "$ ") {
				i++
				shown = append(shown, lines[i])
			}
			w.answers = append(w.answers, shown)
			fmt.Fprintf(&script, "%s > \"$WORK/out-%d.txt\"\n", cmd, len(w.answers))
		}
	}
	w.script = script.String()
	return w
}

// answerPattern matches a line the README shows against the line printed:
// an abbreviated hex run ("…") stands for the full one, another "…" for
// anything, a hex run after
// "tx " for any transaction hash, a height for any height (blocks come as
// the dev chain makes them), and runs of spaces for alignment.
func answerPattern(line string) string {
	p := regexp.QuoteMeta(strings.TrimSpace(line))
	p = regexp.MustCompile(`tx [0-9A-F]+…`).ReplaceAllString(p, `tx [0-9A-F]+`)
	p = regexp.MustCompile(`height [0-9]+`).ReplaceAllString(p, `height [0-9]+`)
	p = regexp.MustCompile(`([0-9a-f]+)…`).ReplaceAllString(p, `$1[0-9a-f]*`)
	// An ellipsis after anything else stands for whatever is printed there.
	p = strings.ReplaceAll(p, "…", ".*")
	p = regexp.MustCompile(` +`).ReplaceAllString(p, ` +`)
	return p
}

// TestReadmeWalkthrough runs the README's walkthrough as a reader would,
// pasted into a shell in docs/walkthrough against a dev chain, and checks
// that every answer it shows is the one the chain gives.
func TestReadmeWalkthrough(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is not installed")
	}
	doc := readme(t)
	start := strings.Index(doc, "## Walkthrough")
	end := strings.Index(doc, "\n## Running a node")
	if start < 0 || end < start {
		t.Fatal("README has no walkthrough section")
	}
	w := parseWalkthrough(doc[start:end])
	if len(w.answers) < 3 || !strings.Contains(w.script, "cd docs/walkthrough") {
		t.Fatalf("the walkthrough shows %d answers, and starts elsewhere than docs/walkthrough", len(w.answers))
	}

	var checks strings.Builder
	checks.WriteString(`exec lineaged dev --rpc.laddr tcp://127.0.0.1:$RPC --p2p.laddr tcp://127.0.0.1:$P2P --api.grpc_address 127.0.0.1:$GRPC --api.rest_address 127.0.0.1:$REST &dev&
waitheight $RPC 1
env LINEAGED_NODE=tcp://127.0.0.1:$RPC
exec bash -e -o pipefail walk.sh
`)
	for i, shown := range w.answers {
		for _, line := range shown {
			if strings.TrimSpace(line) == "" || strings.Contains(line, "...") {
				continue // elided
			}
			// testscript quotes with '...', a ' inside doubled.
			fmt.Fprintf(&checks, "grep '%s' out-%d.txt\n", strings.ReplaceAll(answerPattern(line), "'", "''"), i+1)
		}
	}
	ar := &txtar.Archive{Comment: []byte(checks.String()), Files: []txtar.File{{Name: "walk.sh", Data: []byte(w.script)}}}
	root := "../../docs/walkthrough"
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("../..", path)
		ar.Files = append(ar.Files, txtar.File{Name: filepath.ToSlash(rel), Data: data})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "walkthrough.txtar"), txtar.Format(ar), 0o644); err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, scriptParams(dir))
}

// TestWalkthroughParsing: the parser keeps commands, continuations, the
// rejected line and the answers apart.
func TestWalkthroughParsing(t *testing.T) {
	w := parseWalkthrough("```sh\nA=$(x)\ny --bad    # rejected: z\n```\n\n```\n$ q --a \\\n      --b\nline 1\n\n$ r\nline 2\n```\n")
	want := "A=$(x)\n! y --bad    # rejected: z\n\nq --a \\\n      --b > \"$WORK/out-1.txt\"\nr > \"$WORK/out-2.txt\"\n"
	if w.script != want {
		t.Errorf("script:\n%s\nwant:\n%s", w.script, want)
	}
	if len(w.answers) != 2 || w.answers[0][0] != "line 1" || w.answers[1][0] != "line 2" {
		t.Errorf("answers %q", w.answers)
	}
	if !regexp.MustCompile(answerPattern("tx 92AFE04C…  committed at height 13")).MatchString("tx 320ACE15C033D3  committed at height 13") {
		t.Error("a transaction hash does not match its abbreviation")
	}
	if regexp.MustCompile(answerPattern("dataset:sha256:243c6d67d265…")).MatchString("dataset:sha256:d508b0f0e114") {
		t.Error("another digest matches an abbreviation")
	}
	if !regexp.MustCompile(answerPattern("org  beta  Beta Data  …")).MatchString("org  beta  Beta Data  lin1d67wvnkuy72u9lwtg7drd9f3xvwg9a3rs0s4dq") {
		t.Error("an elided column does not match")
	}
}

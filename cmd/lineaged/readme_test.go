package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/lineageledger/lineaged/app/modules"
)

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadmeErrorTable keeps the README's error table equal to the module
// table's errors, in table order.
func TestReadmeErrorTable(t *testing.T) {
	doc := readme(t)
	start := strings.Index(doc, "<!-- error-table")
	end := strings.Index(doc, "<!-- end error-table -->")
	if start < 0 || end < start {
		t.Fatal("README has no error table markers")
	}
	var want []string
	for _, m := range modules.Default().Modules() {
		for _, e := range m.Errors {
			want = append(want, fmt.Sprintf("| %s | %d | %s |", e.Codespace, e.Code, e.Message))
		}
	}
	var got []string
	for _, line := range strings.Split(doc[start:end], "\n") {
		if regexp.MustCompile(`^\| [a-z]+ \| \d+ \|`).MatchString(line) {
			got = append(got, line)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("README error table is out of date; it should read:\n%s", strings.Join(want, "\n"))
	}
}

// TestReadmeCommands: the README starts with the dev chain and the test
// command, and CI runs that same test command.
func TestReadmeCommands(t *testing.T) {
	doc := readme(t)
	block := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(doc)
	if block == nil {
		t.Fatal("README has no leading command block")
	}
	lines := strings.Split(strings.TrimSpace(block[1]), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "go run ./cmd/lineaged dev") || !strings.HasPrefix(lines[1], "scripts/test.sh") {
		t.Fatalf("README's first commands are %q", lines)
	}
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ci), "scripts/test.sh") {
		t.Fatal(".ci/run does not run scripts/test.sh")
	}
}

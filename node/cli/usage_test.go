package cli

import (
	"io"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/lineageledger/lineaged/app/modules"
)

// isolate gives a test a home of its own and no LINEAGED_* settings, so
// that no client.toml or variable of the machine running it leaks in.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "LINEAGED_") {
			t.Setenv(name, "")
			os.Unsetenv(name)
		}
	}
	return home
}

// maxArgs is the most arguments cmd accepts, up to 10 (10: unbounded), and
// the fewest.
func argBounds(cmd *cobra.Command) (least, most int) {
	args := func(n int) []string { return make([]string, n) }
	least = -1
	for n := 0; n <= 10; n++ {
		if cmd.Args(cmd, args(n)) == nil {
			if least < 0 {
				least = n
			}
			most = n
		}
	}
	return least, most
}

func placeholders(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "arg" + string(rune('a'+i))
	}
	return out
}

// TestUsageExitCodes walks the whole command tree, cobra's completion
// commands included: every command refuses an unknown flag, an invalid -o
// and one argument too many with exit status 2 (usage), before it does
// anything; every group refuses an unknown subcommand with 2 and, alone,
// prints its help and exits 0. No command takes unbounded arguments.
func TestUsageExitCodes(t *testing.T) {
	isolate(t)
	root := newRootCmd(strings.NewReader(""), io.Discard, io.Discard, modules.Default(), friendlyGroups)
	cmds := commands(root)
	paths := make([]string, 0, len(cmds))
	for p := range cmds {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	checked := 0
	for _, path := range paths {
		c := cmds[path]
		if c.Hidden || isCobraHelp(c) {
			continue
		}
		words := strings.Fields(path)[1:]
		t.Run(path, func(t *testing.T) {
			usage := func(what string, args ...string) cliRun {
				t.Helper()
				run := runCLI(friendlyGroups, "", args...)
				if run.code != exitUsage {
					t.Errorf("%s: %q exited %d, want %d\nstderr: %s", what, args, run.code, exitUsage, run.stderr)
				}
				if run.stdout != "" {
					t.Errorf("%s: %q printed on stdout: %s", what, args, run.stdout)
				}
				return run
			}
			run := usage("unknown flag", append(words, "--no-such-flag")...)
			if !strings.Contains(run.stderr, "unknown flag: --no-such-flag") {
				t.Errorf("unknown flag: stderr %q does not name it", run.stderr)
			}

			if c.HasSubCommands() {
				run := usage("unknown subcommand", append(words, "no-such-command")...)
				if !strings.Contains(run.stderr, `unknown command "no-such-command"`) {
					t.Errorf("unknown subcommand: stderr %q does not name it", run.stderr)
				}
			}
			if c.Annotations[annotationGroup] != "" {
				alone := runCLI(friendlyGroups, "", words...)
				if alone.code != 0 || !strings.Contains(alone.stdout, "Available Commands") {
					t.Errorf("group alone: exit %d, stdout %q; want its help and 0", alone.code, alone.stdout)
				}
				return
			}
			least, most := argBounds(c)
			if least < 0 {
				t.Fatalf("accepts no number of arguments up to 10")
			}
			if most == 10 {
				t.Fatalf("accepts any number of arguments: give it an Args bound")
			}
			usage("one argument too many", append(words, placeholders(most+1)...)...)
			// -o is checked before anything runs; a command with an
			// --output of its own has no -o, which is a usage error too.
			usage("-o yaml", append(append(words, placeholders(least)...), "-o", "yaml")...)
		})
		checked++
	}
	if checked < 50 {
		t.Errorf("checked %d commands; the walk missed the tree", checked)
	}
}

// TestUnknownSubcommandSuggests: a misspelt subcommand gets cobra's
// suggestion, and the list of what the group holds.
func TestUnknownSubcommandSuggests(t *testing.T) {
	isolate(t)
	run := runCLI(friendlyGroups, "", "query", "modles", "model", "x@1")
	if run.code != exitUsage || !strings.Contains(run.stderr, "Did you mean this?\n\tmodels") || !strings.Contains(run.stderr, "lineaged query holds:") {
		t.Errorf("exit %d, stderr:\n%s", run.code, run.stderr)
	}
	if !strings.Contains(run.stderr, "Run 'lineaged query --help' for usage.") {
		t.Errorf("no pointer to the group's help:\n%s", run.stderr)
	}
}

// TestExitCode: the exit status of each kind of error.
func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 0},
		{io.EOF, 1},
		{usagef("bad"), exitUsage},
		{&exitError{code: exitDeny}, exitDeny},
		{&exitError{code: exitStale}, exitStale},
		{usageErr(&exitError{code: exitUnusable}), exitUnusable},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

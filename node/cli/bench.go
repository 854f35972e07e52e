package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/lineageledger/lineaged/node/bench"
)

// pinnedCometBFT is the CometBFT release whose kvstore is the baseline: the
// one lineaged embeds.
const pinnedCometBFT = "v1.0.1"

func (e *env) benchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Benchmark throughput, latency, gate, proofs, lineage and state growth against CometBFT's kvstore",
		Long: `Run the benchmark suite: local networks of 1 and 4 validators of this
chain and of CometBFT's own kvstore application (the baseline, measured in
the same run with the same consensus settings and load method), then
in-process measurements of the gate, receipts, lineage walks and state
growth. Networks listen on 127.0.3.x (--ip-prefix) and are stopped at the
end. Progress goes to stderr; one table, with a description of the
machine, goes to stdout (-o json for the report as JSON).

The baseline needs the cometbft binary ` + pinnedCometBFT + ` (--cometbft, else
cometbft on PATH, else .cache/bin/cometbft); scripts/bench.sh installs it
and runs the full suite. --quick is a smoke test of every workload in a
minute or two; the full run takes about an hour on two cores.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e.bind(cmd)
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			f := cmd.Flags()
			if dir, _ := f.GetString("growth-worker"); dir != "" {
				return runGrowthWorker(ctx, e, cmd, dir)
			}
			opts := bench.Options{Log: e.stderr}
			opts.Quick, _ = f.GetBool("quick")
			opts.WorkDir, _ = f.GetString("workdir")
			opts.IPPrefix, _ = f.GetString("ip-prefix")
			opts.ProfileDir, _ = f.GetString("profiles")
			if only, _ := f.GetString("only"); only != "" {
				opts.Only = strings.Split(only, ",")
			}
			if raw, _ := f.GetString("validators"); raw != "" {
				sz := bench.FullSizes()
				if opts.Quick {
					sz = bench.QuickSizes()
				}
				sz.Topologies = nil
				for _, s := range strings.Split(raw, ",") {
					n, err := strconv.Atoi(strings.TrimSpace(s))
					if err != nil || n < 1 || n > 10 {
						return fmt.Errorf("--validators %q: want validator counts from 1 to 10, e.g. 1,4", raw)
					}
					sz.Topologies = append(sz.Topologies, n)
				}
				// Each network takes a range of 20 addresses of the /24.
				if len(sz.Topologies) > 6 {
					return fmt.Errorf("--validators %q: at most 6 network sizes in one run", raw)
				}
				opts.Sizes = &sz
			}
			var err error
			if opts.Lineaged, _ = f.GetString("lineaged"); opts.Lineaged == "" {
				if opts.Lineaged, err = os.Executable(); err != nil {
					return fmt.Errorf("cannot find this lineaged binary: %w", err)
				}
			}
			if noBaseline, _ := f.GetBool("no-baseline"); !noBaseline {
				path, _ := f.GetString("cometbft")
				if opts.CometBFT, err = findCometBFT(cmd.Context(), path); err != nil {
					return err
				}
			}
			report, err := bench.Run(ctx, opts)
			if err != nil {
				return err
			}
			if e.json() {
				return printJSON(e.stdout, report)
			}
			return report.Markdown(e.stdout)
		},
	}
	f := cmd.Flags()
	f.Bool("quick", false, "smaller sizes and shorter windows: a smoke test in a minute or two")
	f.String("workdir", "", "keep the networks' homes, logs and state databases under this directory (default: a temporary directory, removed)")
	f.String("lineaged", "", "lineaged binary the nodes run (default: this one)")
	f.String("cometbft", "", "cometbft "+pinnedCometBFT+" binary for the kvstore baseline (default: cometbft on PATH, else .cache/bin/cometbft)")
	f.Bool("no-baseline", false, "skip the kvstore baseline")
	f.String("ip-prefix", "127.0.3", "first three octets of the loopback addresses the networks listen on")
	f.String("validators", "", "comma-separated network sizes the throughput workload runs on (default 1,4; the report then says \"custom\")")
	f.String("only", "", "comma-separated workloads to run: "+strings.Join(bench.Workloads, ","))
	f.String("profiles", "", "write a CPU profile of each network's first node at saturation to this directory")
	f.String("growth-worker", "", "")
	f.String("growth-checkpoints", "", "")
	f.Int("growth-block", 1000, "")
	for _, hidden := range []string{"growth-worker", "growth-checkpoints", "growth-block"} {
		must(f.MarkHidden(hidden))
	}
	return cmd
}

// findCometBFT locates the baseline's binary and insists on the pinned
// release, so that runs stay comparable.
func findCometBFT(ctx context.Context, path string) (string, error) {
	if path == "" {
		if p, err := exec.LookPath("cometbft"); err == nil {
			path = p
		} else if _, err := os.Stat(filepath.Join(".cache", "bin", "cometbft")); err == nil {
			path = filepath.Join(".cache", "bin", "cometbft")
		} else {
			return "", errors.New("no cometbft binary for the kvstore baseline: run scripts/bench.sh, or `GOBIN=$PWD/.cache/bin go install github.com/cometbft/cometbft/cmd/cometbft@" +
				pinnedCometBFT + "`, or pass --no-baseline")
		}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, abs, "version").Output()
	if err != nil {
		return "", fmt.Errorf("%s version: %w", abs, err)
	}
	if v := strings.TrimSpace(string(out)); "v"+strings.TrimPrefix(v, "v") != pinnedCometBFT {
		return "", fmt.Errorf("%s is cometbft %s; the baseline is pinned to %s", abs, v, pinnedCometBFT)
	}
	return abs, nil
}

// runGrowthWorker is the process `lineaged bench` starts for the state
// growth workload.
func runGrowthWorker(ctx context.Context, e *env, cmd *cobra.Command, dir string) error {
	f := cmd.Flags()
	raw, _ := f.GetString("growth-checkpoints")
	perBlock, _ := f.GetInt("growth-block")
	var checkpoints []int
	for _, s := range strings.Split(raw, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("--growth-checkpoints %q: want positive record counts", raw)
		}
		checkpoints = append(checkpoints, n)
	}
	return bench.GrowthWorker(ctx, dir, checkpoints, perBlock, e.stdout, e.stderr)
}

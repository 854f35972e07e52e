#!/usr/bin/env bash
# The benchmark suite, runnable on a fresh machine with Go 1.26+ and git:
# builds lineaged from this tree and the pinned CometBFT (the kvstore
# baseline) from the Go module proxy into .cache/, then runs
# `lineaged bench` and writes its table to .cache/bench/. Profiles of a
# validator of each network at saturation go to .cache/bench/profiles.
#
#   scripts/bench.sh                the full run (about an hour on two cores)
#   scripts/bench.sh --quick        a smoke test of every workload in a minute or two
#   scripts/bench.sh --only gate    any other `lineaged bench` flags pass through
#
# Go micro-benchmarks of the hot paths are separate:
#   go test ./app ./app/store ./node/receipt -run '^$' -bench . -benchtime 3s
set -euo pipefail
cd "$(dirname "$0")/.."

COMETBFT_VERSION=v1.0.1

bin="$PWD/.cache/bin"
out="$PWD/.cache/bench"
mkdir -p "$bin" "$out"
stamp="$bin/.cometbft-$COMETBFT_VERSION"
if [[ ! -x "$bin/cometbft" || ! -e "$stamp" ]]; then
  echo "installing cometbft $COMETBFT_VERSION" >&2
  GOBIN="$bin" GOFLAGS= go install "github.com/cometbft/cometbft/cmd/cometbft@$COMETBFT_VERSION"
  rm -f "$bin/.cometbft-"*; touch "$stamp"
fi

# Built apart from .cache/bin/lineaged, which localnet/localnet.sh owns.
go build -o "$out/lineaged" ./cmd/lineaged

if pgrep -f "lineaged start" >/dev/null; then
  echo "warning: other lineaged nodes are running; they will compete for the CPU (the report says so)" >&2
fi

table="$out/table.md"
"$out/lineaged" bench --cometbft "$bin/cometbft" --profiles "$out/profiles" "$@" | tee "$table"
echo "table written to $table" >&2

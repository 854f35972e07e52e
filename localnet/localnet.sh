#!/usr/bin/env bash
# A local Lineage Ledger network as processes on loopback addresses.
#
#   localnet/localnet.sh init [VALIDATORS [FULL_NODES]]   generate homes (default 4 validators)
#   localnet/localnet.sh start                             build lineaged, start every node
#   localnet/localnet.sh status                            heights and app hashes side by side
#   localnet/localnet.sh logs NODE                         follow one node's log
#   localnet/localnet.sh stop                              stop every node (SIGTERM, graceful)
#   localnet/localnet.sh reset                             stop, then delete homes and logs
#
# Everything lives under localnet/run/ (homes node0..nodeN, logs, pids); the
# nodes listen on 127.0.0.11, 127.0.0.12, ... Set LOCALNET_DIR to move it.
set -euo pipefail
cd "$(dirname "$0")/.."

run=${LOCALNET_DIR:-$PWD/localnet/run}
bin=$PWD/.cache/bin/lineaged

build() {
  mkdir -p "$(dirname "$bin")"
  go build -o "$bin" ./cmd/lineaged
}

nodes() {
  [[ -f "$run/testnet.json" ]] || { echo "no network in $run: run '$0 init' first" >&2; exit 1; }
  grep -o '"name": *"node[0-9]*"' "$run/testnet.json" | grep -o 'node[0-9]*'
}

alive() { [[ -f "$run/$1.pid" ]] && kill -0 "$(cat "$run/$1.pid")" 2>/dev/null; }

case "${1:-}" in
  init)
    build
    "$bin" testnet --validators "${2:-4}" --full-nodes "${3:-0}" --output-dir "$run"
    ;;
  start)
    build
    for n in $(nodes); do
      if alive "$n"; then echo "$n already running"; continue; fi
      nohup "$bin" start --home "$run/$n" >>"$run/$n.log" 2>&1 &
      echo $! >"$run/$n.pid"
      echo "started $n (pid $!, log $run/$n.log)"
    done
    ;;
  stop)
    for n in $(nodes); do
      if alive "$n"; then
        kill -TERM "$(cat "$run/$n.pid")"
        for _ in $(seq 50); do alive "$n" || break; sleep 0.2; done
        alive "$n" && kill -KILL "$(cat "$run/$n.pid")"
        echo "stopped $n"
      fi
      rm -f "$run/$n.pid"
    done
    ;;
  status)
    [[ -x "$bin" ]] || build
    "$bin" testnet status "$run"
    ;;
  logs)
    tail -f "$run/${2:?usage: $0 logs NODE}.log"
    ;;
  reset)
    if [[ -f "$run/testnet.json" ]]; then "$0" stop; fi
    rm -rf "$run"
    echo "removed $run"
    ;;
  *)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac

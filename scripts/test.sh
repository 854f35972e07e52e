#!/usr/bin/env bash
# The whole test suite, runnable on a fresh machine with Go 1.26+ and git:
# pinned generators are built from the Go module proxy into .cache/.
#
#   scripts/test.sh          the default suite (well under 20 minutes on 2 cores),
#                            with the short fault suite (localnet, 4-5 minutes)
#   LONG=1 scripts/test.sh   also the long soaks, the long fault suite and longer
#                            fuzzing (LINEAGED_FAULTS=short|long picks the fault
#                            suite's scale explicitly)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
if [[ "$go_minor" -lt 26 ]]; then
  echo "Go 1.26 or newer is required (found $(go env GOVERSION))" >&2
  exit 1
fi

# The race detector needs cgo, and so a C compiler. A fresh Debian machine
# with Go alone has none: install it when we can.
if ! command -v gcc >/dev/null 2>&1 && ! command -v cc >/dev/null 2>&1; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    step "installing gcc (the race detector needs a C compiler)"
    apt-get update -qq && apt-get install -y -qq gcc >/dev/null
  else
    echo "the race detector needs a C compiler: install gcc (e.g. sudo apt-get install gcc)" >&2
    exit 1
  fi
fi

step "generated code is up to date"
scripts/gen.sh --check

step "gofmt"
unformatted=$(git ls-files -z '*.go' | xargs -0 gofmt -l)
if [[ -n "$unformatted" ]]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi

step "go vet"
go vet ./...

step "other platforms: go vet for macOS, and the binary for Windows"
# Pipelines run the CLI on developers' machines, not only on Linux nodes.
GOOS=darwin go vet ./...
GOOS=windows go build -o /dev/null ./cmd/lineaged

step "go test (race detector)"
# The fault suite runs in its own step below, without the race detector.
env -u LINEAGED_FAULTS go test -race -count=1 -timeout 25m ./...

faults=${LINEAGED_FAULTS:-short}
if [[ -n "${LONG:-}" ]]; then
  faults=${LINEAGED_FAULTS:-long}
fi
step "fault tests ($faults): multi-process networks under crashes, pauses, partitions, state sync, replay"
LINEAGED_FAULTS=$faults go test ./localnet -run Faults -count=1 -v -timeout 30m

# Budgets are counts of executions, not durations: Go 1.26's fuzzing
# coordinator can report a bare "context deadline exceeded" failure when a
# duration runs out while a starved worker is mid-call (golang/go#75804,
# fixed in Go 1.27), and a count never arms that deadline. 100,000 runs take
# about 15 s for the slowest target on two cores.
fuzztime=${FUZZTIME:-100000x}
# Each new interesting input is minimized, for up to 60 s by default: a
# target that keeps finding them (receipt verification does) spends most
# of its budget minimizing. A count bounds it, as for fuzztime.
minimize=${FUZZMINIMIZE:-200x}
if [[ -n "${LONG:-}" ]]; then
  fuzztime=${FUZZTIME:-2000000x}
fi
step "fuzzing ($fuzztime per target)"
while read -r pkg target; do
  go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize"
done < <(grep -rlE '^func Fuzz' --include='*_test.go' . | while read -r f; do
  for t in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$f" | awk '{print $2}'); do
    echo "./$(dirname "${f#./}") $t"
  done
done | sort -u)

echo
echo "all tests passed"

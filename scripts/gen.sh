#!/usr/bin/env bash
# Regenerates every committed generated file: Go code from proto/.
# Tools are pinned and built from the Go module proxy into .cache/bin, so
# nothing else needs installing. `scripts/gen.sh --check` fails if the
# committed files differ from a fresh generation.
set -euo pipefail
cd "$(dirname "$0")/.."

BUF_VERSION=v1.75.0
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.5.1

bin="$PWD/.cache/bin"
mkdir -p "$bin"
install_tool() { # pkg version name
  local stamp="$bin/.$3-$2"
  if [[ ! -x "$bin/$3" || ! -e "$stamp" ]]; then
    echo "installing $3 $2" >&2
    GOBIN="$bin" GOFLAGS= go install "$1@$2"
    rm -f "$bin/.$3-"*; touch "$stamp"
  fi
}
install_tool github.com/bufbuild/buf/cmd/buf "$BUF_VERSION" buf
install_tool google.golang.org/protobuf/cmd/protoc-gen-go "$PROTOC_GEN_GO_VERSION" protoc-gen-go
install_tool google.golang.org/grpc/cmd/protoc-gen-go-grpc "$PROTOC_GEN_GO_GRPC_VERSION" protoc-gen-go-grpc
export PATH="$bin:$PATH"

generate() {
  # Generate into a scratch directory first: a failed run leaves the tree
  # as it was. Then replace every .pb.go so deleted protos leave no orphans.
  local out
  out=$(mktemp -d)
  trap 'rm -rf "$out"' RETURN
  (cd proto && buf lint && buf generate --output "$out")
  find . -path ./.cache -prune -o -name '*.pb.go' -print0 | xargs -0 -r rm -f
  (cd "$out" && find . -name '*.pb.go') | while read -r f; do
    mkdir -p "$(dirname "$f")"
    cp "$out/$f" "$f"
  done
}

if [[ "${1:-}" == "--check" ]]; then
  generate
  if ! git diff --exit-code --stat -- '*.pb.go' || [[ -n "$(git ls-files --others --exclude-standard -- '*.pb.go')" ]]; then
    echo "generated code is stale: run scripts/gen.sh and commit the result" >&2
    exit 1
  fi
  echo "generated code is up to date"
else
  generate
fi

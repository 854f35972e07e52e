#!/usr/bin/env bash
# Regenerates every committed generated file from proto/: Go code
# (*.pb.go), the REST gateway (*.pb.gw.go) and the REST API's OpenAPI
# document (node/api/lineage.swagger.json), the last two driven by the HTTP
# bindings in proto/http.yaml.
# Tools are pinned and built from the Go module proxy into .cache/bin, so
# nothing else needs installing. `scripts/gen.sh --check` fails if the
# committed files differ from a fresh generation.
set -euo pipefail
cd "$(dirname "$0")/.."

BUF_VERSION=v1.75.0
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.5.1
GRPC_GATEWAY_VERSION=v2.33.0

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
install_tool github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway "$GRPC_GATEWAY_VERSION" protoc-gen-grpc-gateway
install_tool github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2 "$GRPC_GATEWAY_VERSION" protoc-gen-openapiv2
export PATH="$bin:$PATH"

# Every generated file matches one of these patterns, and nothing else does.
generated=('*.pb.go' '*.pb.gw.go' '*.swagger.json')

find_generated() { # dir
  (cd "$1" && find . -path ./.cache -prune -o -type f \( -name "${generated[0]}" -o -name "${generated[1]}" -o -name "${generated[2]}" \) -print)
}

generate() {
  # Generate into a scratch directory first: a failed run leaves the tree
  # as it was. Then replace every generated file so deleted protos and
  # bindings leave no orphans.
  local out
  out=$(mktemp -d)
  trap 'rm -rf "$out"' RETURN
  (cd proto && buf lint && buf generate --output "$out")
  find_generated . | while read -r f; do rm -f "$f"; done
  find_generated "$out" | while read -r f; do
    mkdir -p "$(dirname "$f")"
    cp "$out/$f" "$f"
  done
}

if [[ "${1:-}" == "--check" ]]; then
  generate
  if ! git diff --exit-code --stat -- "${generated[@]}" || [[ -n "$(git ls-files --others --exclude-standard -- "${generated[@]}")" ]]; then
    echo "generated code is stale: run scripts/gen.sh and commit the result" >&2
    exit 1
  fi
  echo "generated code is up to date"
else
  generate
fi

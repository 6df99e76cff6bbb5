#!/usr/bin/env bash
# generate.sh regenerates the Go code of the gRPC API from the .proto files
# in this folder. The output is committed, so builds and CI never run it.
#
#   api/proto/generate.sh
#
# Needs protoc (Debian: apt-get install -y protobuf-compiler, which brings
# protoc 3.21 and the google/protobuf/*.proto well-known types) and Go. The
# protoc plugins are installed at the pinned versions into a temporary folder,
# so the output does not depend on what happens to be on $PATH.
set -euo pipefail

PROTOC_GEN_GO_VERSION=v1.36.12     # matches google.golang.org/protobuf in go.mod
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2  # generates code for google.golang.org/grpc >= 1.64

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

command -v protoc >/dev/null || { echo "generate.sh: protoc not found (apt-get install -y protobuf-compiler)" >&2; exit 1; }
case "$(protoc --version)" in
	"libprotoc 3.21."*) ;;
	*) echo "generate.sh: warning: expected protoc 3.21.x, found $(protoc --version); the output headers will differ" >&2 ;;
esac

bin="$(mktemp -d)"
trap 'rm -rf "$bin"' EXIT
GOBIN="$bin" GOFLAGS=-mod=mod go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
GOBIN="$bin" GOFLAGS=-mod=mod go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION"

mapfile -t protos < <(find ory -name '*.proto' | sort)
find ory -name '*.pb.go' -delete
PATH="$bin:$PATH" protoc -I . \
	--go_out=. --go_opt=paths=source_relative \
	--go-grpc_out=. --go-grpc_opt=paths=source_relative \
	"${protos[@]}"
gofmt -l ory | { ! grep . ; } || { echo "generate.sh: generated code is not gofmt-clean" >&2; exit 1; }
echo "generated $(find ory -name '*.pb.go' | wc -l) files from ${#protos[@]} protos" >&2

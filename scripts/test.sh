#!/usr/bin/env bash
# The test command from the README: vet, then every test with the race detector, then the
# heavy end-to-end tests (they index copies of Go's source tree with real codectx processes)
# without it, where it would only multiply their run time. The seed corpora of the fuzz
# targets run as ordinary tests.
set -euo pipefail
cd "$(dirname "$0")/.."
go vet ./...
go test -race -short -count=1 -timeout 20m ./...
go test -count=1 -timeout 20m -run 'TestIndexSurvivesSIGKILL|TestContextOnGoSource' ./cmd/codectx

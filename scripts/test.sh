#!/usr/bin/env bash
# The test command from the README: vet, then every test with the race detector. The seed
# corpora of the fuzz targets run as ordinary tests.
set -euo pipefail
cd "$(dirname "$0")/.."
go vet ./...
go test -race -count=1 -timeout 20m ./...

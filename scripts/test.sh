#!/usr/bin/env bash
# The test command from the README: vet, then every test with the race detector, then the
# heavy end-to-end tests (they index copies of Go's source tree with real codectx processes)
# without it, where it would only multiply their run time. The seed corpora of the fuzz
# targets run as ordinary tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# TestTabbyAgent drives Tabby's real editor client, the npm package tabby-agent, against
# codectx. Install the pinned release once under .cache/ (ignored by git); the test finds it
# through CODECTX_TABBY_AGENT. Without npm the test is skipped, except under CI, where it fails.
tabby_agent_version=1.5.0
tabby_agent_dir=.cache/tabby-agent
tabby_agent_pkg=$tabby_agent_dir/node_modules/tabby-agent
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  echo "test.sh: node or npm not found; TestTabbyAgent needs them" >&2
elif [ "$(node -p "require('./$tabby_agent_pkg/package.json').version" 2>/dev/null)" != "$tabby_agent_version" ]; then
  npm install --no-save --no-audit --no-fund --prefix "$tabby_agent_dir" "tabby-agent@$tabby_agent_version"
fi
export CODECTX_TABBY_AGENT="$PWD/$tabby_agent_pkg/dist/cli.js"

go vet ./...
go test -race -short -count=1 -timeout 20m ./...
go test -count=1 -timeout 20m -run 'TestIndexSurvivesSIGKILL|TestContextOnGoSource' ./cmd/codectx

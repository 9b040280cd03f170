#!/usr/bin/env bash
# Imports the latest Proxmox VE API schema, regenerates what depends on it, runs the tests,
# and (unless --dry-run) pushes a branch and opens a pull request whose body is the API
# changelog. Used by .github/workflows/schema-refresh.yml; runs locally with --dry-run.
#
#   scripts/schema-refresh.sh [--dry-run] [SOURCE]
#
# SOURCE defaults to Proxmox's public API viewer. For the pull request it needs
# GITHUB_TOKEN (GitHub or Gitea token), GITHUB_REPOSITORY (owner/name) and, on Gitea,
# GITHUB_SERVER_URL; the workflow provides all three.
set -euo pipefail

dry_run=0
if [ "${1:-}" = "--dry-run" ]; then dry_run=1; shift; fi
source_url="${1:-https://pve.proxmox.com/pve-docs/api-viewer/apidoc.js}"
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build -q -p codegen --locked
codegen=target/debug/codegen

"$codegen" import "$source_url" -o "$work/new.json"
if cmp -s "$work/new.json" apidoc/apidoc.json; then
    echo "schema-refresh: the vendored schema is current with $source_url"
    exit 0
fi
"$codegen" diff apidoc/apidoc.json "$work/new.json" --old-name "vendored" --new-name "$source_url" > "$work/changelog.md"
cp "$work/new.json" apidoc/apidoc.json
"$codegen" update

if cargo test --workspace --locked > "$work/test.log" 2>&1; then
    tests="The test suite passes with the new schema."
else
    tests="**The test suite fails with the new schema**: see the workflow log; the last lines were:

\`\`\`
$(tail -n 30 "$work/test.log")
\`\`\`"
fi
{
    echo "Automated import of $source_url."
    echo
    echo "$tests"
    echo
    cat "$work/changelog.md"
} > "$work/body.md"

if [ "$dry_run" = 1 ]; then
    cat "$work/body.md"
    echo "schema-refresh: dry run; apidoc/apidoc.json and the golden files are updated in the work tree"
    exit 0
fi

: "${GITHUB_TOKEN:?GITHUB_TOKEN is needed to open the pull request}"
: "${GITHUB_REPOSITORY:?GITHUB_REPOSITORY (owner/name) is needed to open the pull request}"
base=$(git rev-parse --abbrev-ref HEAD)
branch="schema-refresh/$(sha256sum apidoc/apidoc.json | cut -c1-12)"
git checkout -b "$branch"
git add apidoc/apidoc.json tests/golden
git -c user.name="proxmox-mcp schema bot" -c user.email="schema-bot@invalid" \
    commit -q -m "Refresh the PVE API schema from $source_url"
git push -q origin "$branch"

if [ "${GITEA_ACTIONS:-}" = "true" ]; then
    api="${GITHUB_SERVER_URL%/}/api/v1/repos/$GITHUB_REPOSITORY/pulls"
    auth="Authorization: token $GITHUB_TOKEN"
else
    api="${GITHUB_API_URL:-https://api.github.com}/repos/$GITHUB_REPOSITORY/pulls"
    auth="Authorization: Bearer $GITHUB_TOKEN"
fi
python3 - "$work/body.md" "$branch" "$base" > "$work/pr.json" <<'PY'
import json, sys
body = open(sys.argv[1]).read()
print(json.dumps({"title": "Refresh the Proxmox VE API schema", "head": sys.argv[2], "base": sys.argv[3], "body": body}))
PY
curl --fail-with-body -sS -X POST -H "$auth" -H "Content-Type: application/json" --data @"$work/pr.json" "$api" > /dev/null
echo "schema-refresh: opened a pull request from $branch"

#!/usr/bin/env bash
# k6 cannot run on the project's machines; this only checks that the k6 scripts parse as
# ES modules (node --check parses without resolving the k6/* imports). A syntax check, not a test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
node="${NODE:-node_modules/node/bin/node}"
for script in k6/*.js; do
  "$node" --check "$script"
done
echo "k6 scripts parse: $(ls k6/*.js | tr '\n' ' ')"

#!/usr/bin/env bash
# Records the current protos as the released contract that `make check` holds
# them to (scripts/check-protos.sh). Run it when releasing, never to silence a
# breaking-change failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mkdir -p proto/released
node_modules/.bin/buf build --path proto/summa --exclude-source-info -o proto/released/summa.binpb
node_modules/.bin/buf build proto/compat --exclude-source-info -o proto/released/compat.binpb
echo "wrote proto/released/summa.binpb and proto/released/compat.binpb"

#!/usr/bin/env bash
# buf lint, and buf breaking against the last released contract: the images in
# proto/released/, one per module of buf.yaml (an image carries no module
# boundaries, so each module is compared with its own). Refreshed deliberately,
# on a release, by scripts/write-proto-baseline.sh (CONTRIBUTING.md).
# Usage: check-protos.sh [ROOT] (default: this repository; the spec passes a copy).
set -euo pipefail
ROOT="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
BUF="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/node_modules/.bin/buf"
cd "$ROOT"
"$BUF" lint
"$BUF" breaking proto --against proto/released/summa.binpb
"$BUF" breaking proto/compat --against proto/released/compat.binpb
echo "protos pass buf lint and are compatible with proto/released/"

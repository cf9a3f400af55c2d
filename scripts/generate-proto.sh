#!/usr/bin/env bash
# Generates the TypeScript types of proto/ into src/shared/generated (committed,
# and checked for freshness by scripts/check-generated.sh in `make test`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-$ROOT/src/shared/generated}"
cd "$ROOT"
rm -rf "$OUT"
node_modules/.bin/proto-loader-gen-types --longs=String --enums=String --defaults --oneofs \
  --grpcLib=@grpc/grpc-js --inputTemplate=%s --outputTemplate=%s__Output \
  --outDir="$OUT" proto/summa/v1/calculator.proto \
  proto/compat/calculator_service.proto proto/compat/sum_service.proto proto/compat/summation.proto > /dev/null
# The generated imports have no file extensions, which only CommonJS resolution
# accepts; they are type-only, so nothing of it is loaded at run time.
echo '{ "type": "commonjs" }' > "$OUT/package.json"

#!/usr/bin/env bash
# Fails when the committed generated code differs from what the generator makes now.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$ROOT/scripts/generate-proto.sh" "$tmp/generated"
if ! diff -r "$tmp/generated" "$ROOT/src/shared/generated" > "$tmp/diff"; then
  cat "$tmp/diff" >&2
  echo "generated code is out of date: run 'make generate' and commit the result" >&2
  exit 1
fi
echo "generated code is up to date"

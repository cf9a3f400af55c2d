#!/bin/bash
# apache/kafka's convention: every KAFKA_<NAME> variable is the server property <name> with
# '_' → '.', '__' → '_', '___' → '-' (KAFKA_HEAP_OPTS and KAFKA_OPTS are JVM options). Formats
# the storage with CLUSTER_ID on first start, then execs the broker (PID 1: SIGTERM stops it
# cleanly).
set -euo pipefail
props=/opt/kafka/config/server.properties
: > "$props"
while IFS='=' read -r name value; do
  case "$name" in KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_JVM_PERFORMANCE_OPTS) continue ;; esac
  key="${name#KAFKA_}"
  key="${key//___/-}"
  key="${key//__/@}"
  key="${key//_/.}"
  key="${key//@/_}"
  printf '%s=%s\n' "${key,,}" "$value" >> "$props"
done < <(env | grep '^KAFKA_' | sort)
cp_arg='/opt/kafka/libs/*'
log4j=-Dlog4j2.configurationFile=/opt/kafka/config/log4j2.xml
log_dir="$(sed -n 's/^log\.dirs=//p' "$props")"
if [[ ! -f "$log_dir/meta.properties" ]]; then
  java "$log4j" -cp "$cp_arg" kafka.tools.StorageTool format -t "${CLUSTER_ID:?}" -c "$props" -g
fi
# shellcheck disable=SC2086  # JVM options are word lists, as in Kafka's own scripts
exec java ${KAFKA_HEAP_OPTS:--Xmx512m} -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
  "$log4j" ${KAFKA_OPTS:-} -cp "$cp_arg" kafka.Kafka "$props"

#!/usr/bin/env bash
# Runs one of Kafka's CLI tools against a running broker, e.g.
#   scripts/kafka/tools.sh topics --bootstrap-server 127.0.0.1:9092 --create --topic t --partitions 6
#   scripts/kafka/tools.sh consumer-groups --bootstrap-server 127.0.0.1:9092 --describe --all-groups
# or any main class by its full name. Installs the optional kafka-tools jars on first use.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[[ $# -ge 1 ]] || { echo "usage: $0 topics|consumer-groups|configs|metadata-quorum|get-offsets|<main class> [args...]" >&2; exit 2; }
tool="$1"; shift
case "$tool" in
  topics)          main=org.apache.kafka.tools.TopicCommand ;;
  consumer-groups) main=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
  configs)         main=kafka.admin.ConfigCommand ;;
  metadata-quorum) main=org.apache.kafka.tools.MetadataQuorumCommand ;;
  get-offsets)     main=org.apache.kafka.tools.GetOffsetShell ;;
  *)               main="$tool" ;;
esac

# The CLI tools are not in the broker's default jar set (kafka-tools drags in Kafka Connect).
KAFKA_TOOLS=1 "$ROOT/scripts/kafka/install.sh" >&2
# Root logger at WARN: the tools' own INFO chatter would bury their output.
exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" -Xmx256m \
  -Dlog4j2.configurationFile="$ROOT/kafka/log4j2.xml" -Dsumma.kafka.root.level=WARN \
  -cp "$ROOT/.cache/kafka/lib/*" "$main" "$@"

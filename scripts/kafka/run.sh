#!/usr/bin/env bash
# Runs ONE Kafka node (KRaft, broker+controller in one JVM) in the foreground.
# The JVM replaces this shell (exec), so Ctrl-C / SIGTERM reach Kafka and it shuts down cleanly.
# Safe to run again (or after kill -9): storage is formatted only once, data is kept.
# Extra arguments go to kafka.Kafka, e.g.  run.sh --override log.retention.hours=1
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA="${SUMMA_DATA_DIR:-$ROOT/.data}"
NODE_ID="${KAFKA_NODE_ID:-1}"
PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
HEAP="${KAFKA_HEAP:-512m}"
# Where it listens and what it advertises (kafka/server.properties.template says why).
LISTEN_HOST="${KAFKA_LISTEN_HOST:-127.0.0.1}"
if [[ "$LISTEN_HOST" == 0.0.0.0 ]]; then default_advertised=127.0.0.1; else default_advertised="$LISTEN_HOST"; fi
ADVERTISED_HOST="${KAFKA_ADVERTISED_HOST:-$default_advertised}"
# Cluster: the same voter list on every node. Single node: it votes for itself alone.
VOTERS="${KAFKA_QUORUM_VOTERS:-$NODE_ID@$ADVERTISED_HOST:$CONTROLLER_PORT}"
# Defaults follow the cluster size: 1 node -> RF 1 / min ISR 1; 3+ nodes -> RF 3 / min ISR 2
# (acks=all writes survive one node down). Internal topics use the same numbers.
IFS=, read -ra voter_list <<< "$VOTERS"
nodes="${#voter_list[@]}"
RF="${KAFKA_REPLICATION_FACTOR:-$((nodes < 3 ? nodes : 3))}"
MIN_ISR="${KAFKA_MIN_ISR:-$((nodes < 3 ? 1 : 2))}"

LIB="$ROOT/.cache/kafka/lib"
KDIR="$DATA/kafka"
NODE_DIR="$KDIR/node-$NODE_ID"
LOG_DIR="$NODE_DIR/data"
PROPS="$NODE_DIR/server.properties"
ID_FILE="$KDIR/cluster-id"   # shared by every node of one cluster
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# Cheap when nothing changed (stamp check); fetches the jars on a fresh clone.
"$ROOT/scripts/kafka/install.sh" >&2

# zstd/snappy/lz4 unpack native libraries into a temp dir; keep them in the node's own dir
# (works even where /tmp is noexec, and nothing is left behind in /tmp).
mkdir -p "$LOG_DIR" "$NODE_DIR/tmp"

# KAFKA_SASL=true: SCRAM-SHA-512 on the client listener, PLAIN on the controller listener, ACLs
# enforced (kafka/sasl.properties.template). Three users: the admin (the broker itself, topic and ACL
# set-up), the relay and the aggregator. Passwords come from the environment, else from
# $KAFKA_USERS_FILE, which is generated (mode 0600) on the first start and kept: SCRAM users are
# created when the storage is formatted, so the file must outlive the broker's data.
SASL="${KAFKA_SASL:-false}"
USERS_FILE="${KAFKA_USERS_FILE:-$DATA/kafka-users.env}"
if [[ "$SASL" == true ]]; then
  if [[ ! -s "$USERS_FILE" ]]; then
    secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
    # Written whole, then moved into place without overwriting: a reader never sees half a file,
    # and of two first starts at once the second keeps the first one's users.
    (
      umask 077
      {
        echo "KAFKA_ADMIN_USERNAME=summa-admin"
        echo "KAFKA_ADMIN_PASSWORD=$(secret)"
        echo "KAFKA_RELAY_USERNAME=summa-relay"
        echo "KAFKA_RELAY_PASSWORD=$(secret)"
        echo "KAFKA_AGGREGATOR_USERNAME=summa-aggregator"
        echo "KAFKA_AGGREGATOR_PASSWORD=$(secret)"
      } > "$USERS_FILE.$$"
      mv -n "$USERS_FILE.$$" "$USERS_FILE"
      rm -f "$USERS_FILE.$$"
    )
    echo "kafka run: SASL users in $USERS_FILE" >&2
  fi
  # The environment wins over the file, one variable at a time.
  while IFS='=' read -r name value; do
    [[ "$name" =~ ^KAFKA_(ADMIN|RELAY|AGGREGATOR)_(USERNAME|PASSWORD)$ ]] || continue
    [[ -n "${!name:-}" ]] || printf -v "$name" '%s' "$value"
  done < "$USERS_FILE"
  for name in KAFKA_ADMIN_USERNAME KAFKA_ADMIN_PASSWORD KAFKA_RELAY_USERNAME KAFKA_RELAY_PASSWORD \
              KAFKA_AGGREGATOR_USERNAME KAFKA_AGGREGATOR_PASSWORD; do
    [[ "${!name:-}" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "kafka run: $name is missing or not [A-Za-z0-9._-]+" >&2; exit 2; }
  done
  CLIENT_LISTENER=SASL_PLAINTEXT
  CONTROLLER_PROTOCOL=SASL_PLAINTEXT
  security="$(< "$ROOT/kafka/sasl.properties.template")"
  security="${security//@ADMIN_USER@/"$KAFKA_ADMIN_USERNAME"}"
  security="${security//@ADMIN_PASSWORD@/"$KAFKA_ADMIN_PASSWORD"}"
else
  CLIENT_LISTENER=PLAINTEXT
  CONTROLLER_PROTOCOL=PLAINTEXT
  security=""
fi

# KAFKA_BROKER_TLS_KEYSTORE (PEM: the PKCS#8 key, then the certificate chain) and
# KAFKA_BROKER_TLS_TRUSTSTORE (PEM: the CA that signed it): the client listener speaks TLS (SSL, or
# SASL_SSL with KAFKA_SASL=true), and so does the broker's own inter-broker traffic over it, which
# is why the trust store is required. KAFKA_BROKER_TLS_CLIENT_AUTH=required also asks clients for a
# certificate that CA signed. The controller listener stays on the loopback-only protocol above.
KEYSTORE="${KAFKA_BROKER_TLS_KEYSTORE:-}"
TRUSTSTORE="${KAFKA_BROKER_TLS_TRUSTSTORE:-}"
if [[ -n "$KEYSTORE" || -n "$TRUSTSTORE" ]]; then
  for file in "$KEYSTORE" "$TRUSTSTORE"; do
    [[ -r "$file" ]] || { echo "kafka run: KAFKA_BROKER_TLS_KEYSTORE and KAFKA_BROKER_TLS_TRUSTSTORE must both name readable PEM files" >&2; exit 2; }
  done
  CLIENT_LISTENER="${CLIENT_LISTENER/PLAINTEXT/SSL}"
  CLIENT_AUTH="${KAFKA_BROKER_TLS_CLIENT_AUTH:-none}"
  [[ "$CLIENT_AUTH" =~ ^(none|requested|required)$ ]] || { echo "kafka run: KAFKA_BROKER_TLS_CLIENT_AUTH must be none, requested or required" >&2; exit 2; }
  security+=$'\n'"ssl.keystore.type=PEM"$'\n'"ssl.keystore.location=$KEYSTORE"
  security+=$'\n'"ssl.truststore.type=PEM"$'\n'"ssl.truststore.location=$TRUSTSTORE"
  security+=$'\n'"ssl.client.auth=$CLIENT_AUTH"
fi

# Fill the template. Bash substitution (quoted, so '&' or '|' in paths are harmless) beats sed.
conf="$(< "$ROOT/kafka/server.properties.template")"
conf="${conf//@CLIENT_LISTENER@/"$CLIENT_LISTENER"}"
conf="${conf//@PROTOCOL_MAP@/"$CLIENT_LISTENER:$CLIENT_LISTENER,CONTROLLER:$CONTROLLER_PROTOCOL"}"
conf="${conf//@SECURITY@/"$security"}"
# The SASL settings name the client listener (listener.name.<name>.…), lower case.
conf="${conf//@CLIENT_LISTENER_NAME@/"${CLIENT_LISTENER,,}"}"
conf="${conf//@NODE_ID@/"$NODE_ID"}"
conf="${conf//@QUORUM_VOTERS@/"$VOTERS"}"
conf="${conf//@LISTEN_HOST@/"$LISTEN_HOST"}"
conf="${conf//@ADVERTISED_HOST@/"$ADVERTISED_HOST"}"
conf="${conf//@PORT@/"$PORT"}"
conf="${conf//@CONTROLLER_PORT@/"$CONTROLLER_PORT"}"
conf="${conf//@LOG_DIR@/"$LOG_DIR"}"
conf="${conf//@REPLICATION_FACTOR@/"$RF"}"
conf="${conf//@MIN_ISR@/"$MIN_ISR"}"
# It may hold the admin password: readable by its owner only.
(umask 077; printf '%s\n' "$conf" > "$PROPS.tmp")
mv "$PROPS.tmp" "$PROPS"

cp_arg="$LIB/*"   # the JVM expands the wildcard itself: keep it quoted
if [[ ! -f "$LOG_DIR/meta.properties" ]]; then
  # First start of this node. All nodes of a cluster must share one cluster id: reuse the file,
  # else create it atomically (noclobber = O_EXCL, so concurrent first starts agree).
  if [[ ! -s "$ID_FILE" ]]; then
    new_id="$("$JAVA" -cp "$cp_arg" kafka.tools.StorageTool random-uuid)"
    (set -o noclobber; printf '%s\n' "$new_id" > "$ID_FILE") 2>/dev/null || true
  fi
  cluster_id="$(< "$ID_FILE")"
  echo "kafka run: formatting node $NODE_ID storage in $LOG_DIR (cluster $cluster_id)" >&2
  # Static controller.quorum.voters: no --standalone/--initial-controllers (4.1 rejects them).
  # -g: a node formatted already is left as is.
  scram=()
  if [[ "$SASL" == true ]]; then
    for who in ADMIN RELAY AGGREGATOR; do
      user="KAFKA_${who}_USERNAME" password="KAFKA_${who}_PASSWORD"
      scram+=(--add-scram "SCRAM-SHA-512=[name=${!user},password=${!password}]")
    done
  fi
  "$JAVA" -Dlog4j2.configurationFile="$ROOT/kafka/log4j2.xml" -cp "$cp_arg" \
    kafka.tools.StorageTool format -t "$cluster_id" -c "$PROPS" -g "${scram[@]}" >&2
elif [[ ! -s "$ID_FILE" ]]; then
  # Formatted node but the shared id file is gone: restore it from the node's own metadata.
  sed -n 's/^cluster\.id=//p' "$LOG_DIR/meta.properties" > "$ID_FILE"
fi

# Started by `summa up`: stop the broker if the supervisor dies without stopping it
# (kill -9), so no broker is left orphaned. The watcher outlives the exec below:
# $$ is this shell's pid, which the JVM keeps.
if [[ -n "${SUMMA_SUPERVISOR_PID:-}" ]]; then
  (
    while kill -0 "$SUMMA_SUPERVISOR_PID" 2>/dev/null; do sleep 1; done
    kill -TERM "$$" 2>/dev/null || true
  ) < /dev/null > /dev/null 2>&1 &
fi

echo "kafka run: node $NODE_ID on $LISTEN_HOST:$PORT ($CLIENT_LISTENER), advertised $ADVERTISED_HOST:$PORT (controller $CONTROLLER_PORT), voters $VOTERS, data $NODE_DIR" >&2
# Extra JVM options may come from KAFKA_OPTS (word-split on purpose, like Kafka's own scripts).
# shellcheck disable=SC2086
exec "$JAVA" -Xms"$HEAP" -Xmx"$HEAP" \
  -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
  -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
  -Djava.io.tmpdir="$NODE_DIR/tmp" -DZstdTempFolder="$NODE_DIR/tmp" \
  -Dorg.xerial.snappy.tempdir="$NODE_DIR/tmp" \
  -Dlog4j2.configurationFile="$ROOT/kafka/log4j2.xml" \
  ${KAFKA_OPTS:-} \
  -cp "$cp_arg" kafka.Kafka "$PROPS" "$@"

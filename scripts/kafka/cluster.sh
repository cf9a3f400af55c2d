#!/usr/bin/env bash
# A three-node Kafka cluster on this host, in the background: cluster.sh start|stop|status
# Node i (1..3) listens on KAFKA_PORT+2(i-1) and its controller on the port after it:
#   node 1: 9092 / 9093   node 2: 9094 / 9095   node 3: 9096 / 9097   (KAFKA_PORT=9092)
# Data (and each node's broker.log and broker.pid) in $SUMMA_DATA_DIR/kafka/node-<i>;
# SUMMA_DATA_DIR defaults to $ROOT/.data/cluster so it never mixes with the single node's data.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export SUMMA_DATA_DIR="${SUMMA_DATA_DIR:-$ROOT/.data/cluster}"
BASE="${KAFKA_PORT:-9092}"
TIMEOUT="${KAFKA_START_TIMEOUT:-120}"   # seconds to wait for all nodes (start) or exits (stop)
NODES=(1 2 3)
KDIR="$SUMMA_DATA_DIR/kafka"

port() { echo $((BASE + 2 * ($1 - 1))); }
ctl_port() { echo $((BASE + 2 * ($1 - 1) + 1)); }
node_dir() { echo "$KDIR/node-$1"; }

# Pid of node $1 if it is running. The pid file alone could be stale (pid reused), so the
# process must still be run.sh (formatting, before its exec) or the JVM running this node.
pid_of() {
  local f pid cmd
  f="$(node_dir "$1")/broker.pid"
  [[ -f "$f" ]] || return 1
  pid="$(< "$f")"
  cmd="$(tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline")" || return 1
  [[ "$cmd" == *"kafka.Kafka $(node_dir "$1")/server.properties"* || "$cmd" == *scripts/kafka/run.sh* ]] \
    && echo "$pid"
}

start() {
  local voters="" i started=()
  for i in "${NODES[@]}"; do voters+="${voters:+,}$i@127.0.0.1:$(ctl_port "$i")"; done
  # Once, before the nodes start in parallel (not three mvn runs at once).
  "$ROOT/scripts/kafka/install.sh"
  mkdir -p "$KDIR"
  # One cluster id for all three nodes, made before any of them formats its storage.
  if [[ ! -s "$KDIR/cluster-id" ]]; then
    "${JAVA_HOME:+$JAVA_HOME/bin/}java" -cp "$ROOT/.cache/kafka/lib/*" kafka.tools.StorageTool random-uuid \
      > "$KDIR/cluster-id"
  fi
  for i in "${NODES[@]}"; do
    if pid_of "$i" > /dev/null; then echo "kafka cluster: node $i already running"; continue; fi
    mkdir -p "$(node_dir "$i")"
    # Keep the previous run's log for post-mortems; the wait below reads only the new one.
    [[ -f "$(node_dir "$i")/broker.log" ]] && mv "$(node_dir "$i")/broker.log" "$(node_dir "$i")/broker.log.prev"
    # setsid: own session, so a Ctrl-C in the caller's terminal does not reach the nodes.
    # run.sh execs java, so $! is the JVM's pid.
    KAFKA_NODE_ID="$i" KAFKA_PORT="$(port "$i")" KAFKA_CONTROLLER_PORT="$(ctl_port "$i")" \
      KAFKA_QUORUM_VOTERS="$voters" \
      setsid "$ROOT/scripts/kafka/run.sh" > "$(node_dir "$i")/broker.log" 2>&1 < /dev/null &
    echo "$!" > "$(node_dir "$i")/broker.pid"
    started+=("$i")
  done
  [[ ${#started[@]} -gt 0 ]] || return 0
  echo "kafka cluster: started node(s) ${started[*]}, waiting up to ${TIMEOUT}s for 'Kafka Server started'"
  local deadline=$((SECONDS + TIMEOUT)) waiting
  while :; do
    waiting=()
    for i in "${started[@]}"; do
      grep -q 'Kafka Server started' "$(node_dir "$i")/broker.log" && continue
      if ! pid_of "$i" > /dev/null; then
        echo "kafka cluster: node $i exited during startup; last lines of its log:" >&2
        tail -n 20 "$(node_dir "$i")/broker.log" >&2
        exit 1
      fi
      waiting+=("$i")
    done
    [[ ${#waiting[@]} -eq 0 ]] && break
    if ((SECONDS >= deadline)); then
      echo "kafka cluster: node(s) ${waiting[*]} not started after ${TIMEOUT}s (still running; see broker.log)" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "kafka cluster: up, bootstrap 127.0.0.1:$(port 1),127.0.0.1:$(port 2),127.0.0.1:$(port 3)"
}

stop() {
  local i pid pids=() deadline
  for i in "${NODES[@]}"; do
    if pid="$(pid_of "$i")"; then kill -TERM "$pid"; pids+=("$pid"); fi
    rm -f "$(node_dir "$i")/broker.pid"
  done
  [[ ${#pids[@]} -gt 0 ]] || { echo "kafka cluster: not running"; return 0; }
  # All at once: the brokers' controlled shutdown needs a controller quorum still up.
  deadline=$((SECONDS + TIMEOUT))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS >= deadline)); then
        echo "kafka cluster: pid $pid ignored SIGTERM for ${TIMEOUT}s, killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
  done
  echo "kafka cluster: stopped ${#pids[@]} node(s)"
}

status() {
  local i pid down=0
  for i in "${NODES[@]}"; do
    if pid="$(pid_of "$i")"; then
      echo "node $i: running pid $pid, 127.0.0.1:$(port "$i") (controller $(ctl_port "$i"))"
    else
      echo "node $i: stopped"; down=1
    fi
  done
  return "$down"   # 0 only when all three run
}

case "${1:-}" in
  start|stop|status) "$1" ;;
  *) echo "usage: $0 start|stop|status   (env: SUMMA_DATA_DIR, KAFKA_PORT, KAFKA_HEAP, KAFKA_START_TIMEOUT)" >&2; exit 2 ;;
esac

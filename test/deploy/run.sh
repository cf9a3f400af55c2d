#!/usr/bin/env bash
# make test-deploy: the container image and the Compose stack, run for real on this machine.
#   1. a Docker daemon of the test's own (test/deploy/docker-daemon.sh);
#   2. a local Debian base (debootstrap → docker import) and on it a Node base, then the
#      repo's Dockerfile unchanged (BASE_IMAGE = that Node base), and PostgreSQL, Kafka and
#      nginx images from Debian's packages; every image is cached between runs;
#   3. compose.yaml + test/deploy/compose.test.yaml (images only): migrate, 2 calculators,
#      2 relays, 2 aggregators, nginx, PostgreSQL, Kafka, and an OTLP receiver as tempo;
#   4. Adds through nginx with a ledger, one container of each service killed with SIGKILL
#      mid-load, summa verify: 0 lost, 0 duplicated, 0 phantom (test/deploy/drive-and-kill.ts);
#   5. docker-compose down -v, dockerd stopped, and nothing left behind.
# Ports: 127.0.0.1:$SUMMA_TEST_DEPLOY_PORT..+5 (default 19600). Logs and the report in
# .test-data/deploy/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
NODE="$ROOT/node_modules/node/bin/node"
DEPLOY_LOGS="$ROOT/.test-data/deploy"
rm -rf "$DEPLOY_LOGS"
mkdir -p "$DEPLOY_LOGS"
# shellcheck source=test/deploy/docker-daemon.sh
source "$ROOT/test/deploy/docker-daemon.sh"

PORT="${SUMMA_TEST_DEPLOY_PORT:-19600}"
VERSION="$("$NODE" -p 'require("./package.json").version')"
PROJECT=summa-deploy-test
ENV_FILE="$DEPLOY_LOGS/compose.env"
COMPOSE=(docker-compose --env-file "$ENV_FILE" -p "$PROJECT" -f compose.yaml -f test/deploy/compose.test.yaml)
STACK=(postgres kafka-1 migrate calculator-1 calculator-2 relay-1 relay-2 aggregator-1 aggregator-2 nginx tempo)
step_started=$SECONDS
step() { echo "deploy test: $1 ($((SECONDS - step_started)) s so far)"; }

cleanup() {
  local status=$?
  set +e
  if [[ -n "${DOCKERD_PID:-}" ]]; then
    if ((status != 0)); then
      "${COMPOSE[@]}" ps > "$DEPLOY_LOGS/ps.txt" 2>&1
      "${COMPOSE[@]}" logs --no-color > "$DEPLOY_LOGS/stack.log" 2>&1
      echo "deploy test: failed; container logs in ${DEPLOY_LOGS#"$ROOT/"}/stack.log" >&2
    fi
    "${COMPOSE[@]}" down -v --remove-orphans > "$DEPLOY_LOGS/down.log" 2>&1
    local left
    left="$("$DOCKER" ps -aq)"
    [[ -n "$left" ]] && echo "deploy test: containers left after down: $left" >&2 && status=1
    daemon_stop
    daemon_assert_gone || status=1
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Debian's daemon, client, Compose v1 and debootstrap, when missing (CI machines start fresh).
if ! command -v dockerd > /dev/null || ! command -v docker-compose > /dev/null || ! command -v debootstrap > /dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io docker-compose debootstrap
fi

daemon_start
step "dockerd $("$DOCKER" version --format '{{.Server.Version}}') up"

# --- images ---------------------------------------------------------------------------
have_image() { "$DOCKER" image inspect "$1" > /dev/null 2>&1; }
build_quiet() { # tag, context, extra args…: the build's output only when it fails
  local tag="$1" context="$2"
  shift 2
  if ! "$DOCKER" build --progress=plain -t "$tag" "$@" "$context" > "$DEPLOY_LOGS/build-${tag//[\/:]/-}.log" 2>&1; then
    tail -40 "$DEPLOY_LOGS/build-${tag//[\/:]/-}.log" >&2
    return 1
  fi
}
if ! have_image summa-test/debian:bookworm; then
  rootfs="$(mktemp -d /var/tmp/summa-debian.XXXXXX)"
  debootstrap --variant=minbase bookworm "$rootfs" > "$DEPLOY_LOGS/debootstrap.log" 2>&1
  tar -C "$rootfs" -c . | "$DOCKER" import - summa-test/debian:bookworm > /dev/null
  rm -rf "$rootfs"
  step "local Debian base imported"
fi
context="$(mktemp -d)"
cp "$NODE" "$context/node"
cp -r "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$context/npm"
cp test/deploy/images/node/Dockerfile "$context/"
build_quiet summa-test/node:24 "$context"
rm -rf "$context"
scripts/kafka/install.sh > /dev/null
context="$(mktemp -d)"
cp -r test/deploy/images/kafka/. "$context/"
cp -r .cache/kafka/lib "$context/libs"
cp kafka/log4j2.xml "$context/"
build_quiet summa-test/kafka:4.1.2 "$context"
rm -rf "$context"
build_quiet summa-test/postgres:15 test/deploy/images/postgres
build_quiet summa-test/nginx:1.22 test/deploy/images/nginx
build_quiet summa-test/otlp-sink:1 test/deploy/images/otlp-sink
step "base images ready"
build_started=$SECONDS
# The repo's Dockerfile as users build it, on the local Node base; npm reaches the registry
# through this machine's TLS proxy, whose CA goes in as a build secret (never into a layer).
ca="${NODE_EXTRA_CA_CERTS:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}"
build_quiet "summa:$VERSION" . --build-arg BASE_IMAGE=summa-test/node:24 --build-arg "VERSION=$VERSION" \
  --build-arg "REVISION=$(git rev-parse HEAD 2> /dev/null || echo unknown)" --secret "id=npm_ca,src=$ca"
# The cache outlives the run: drop what earlier builds left (untagged images, build cache over 3 GB).
"$DOCKER" image prune -f > /dev/null
"$DOCKER" builder prune -f --keep-storage 3gb > /dev/null
image_bytes="$("$DOCKER" image inspect --format '{{.Size}}' "summa:$VERSION")"
base_bytes="$("$DOCKER" image inspect --format '{{.Size}}' summa-test/node:24)"
step "summa:$VERSION built in $((SECONDS - build_started)) s: $((image_bytes / 1000000)) MB ($(((image_bytes - base_bytes) / 1000000)) MB over the Node base)"

# The image itself: non-root, no shell needed, the CLI as entry point.
[[ "$("$DOCKER" image inspect --format '{{.Config.User}}' "summa:$VERSION")" == 10001:10001 ]]
"$DOCKER" run --rm --read-only "summa:$VERSION" help > /dev/null
# The services run on the patched postgres.js (docs/DEPENDENCIES.md), not the registry's copy.
"$DOCKER" run --rm --read-only --entrypoint node "summa:$VERSION" -e \
  "process.exit(require('fs').readFileSync('node_modules/postgres/src/connection.js', 'utf8').includes('summa:') ? 0 : 1)" \
  || { echo "deploy test: the image's postgres.js is not patched" >&2; exit 1; }

# --- the stack ------------------------------------------------------------------------
umask 077
cat > "$ENV_FILE" << ENV
POSTGRES_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
GRAFANA_ADMIN_PASSWORD=unused-in-this-test
SUMMA_EVENT_SIGNING_KEY=deploy-test:$(head -c 32 /dev/urandom | base64 -w0)
KAFKA_ADMIN_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
KAFKA_RELAY_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
KAFKA_AGGREGATOR_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
SUMMA_GRPC_PUBLISH_PORT=$PORT
SUMMA_HTTP_PUBLISH_PORT=$((PORT + 1))
SUMMA_POSTGRES_PUBLISH_PORT=$((PORT + 2))
SUMMA_PROMETHEUS_PUBLISH_PORT=$((PORT + 3))
SUMMA_GRAFANA_PUBLISH_PORT=$((PORT + 4))
SUMMA_KAFKA_UI_PUBLISH_PORT=$((PORT + 5))
ENV
umask 022
up_started=$SECONDS
"${COMPOSE[@]}" up -d --no-build "${STACK[@]}" > "$DEPLOY_LOGS/up.log" 2>&1 || { cat "$DEPLOY_LOGS/up.log" >&2; exit 1; }
# `up -d` returns once nginx has started, which waits for every replica to be healthy.
deadline=$((SECONDS + 180))
until [[ "$("$DOCKER" inspect --format '{{.State.Health.Status}}' "$("${COMPOSE[@]}" ps -q nginx)")" == healthy ]]; do
  ((SECONDS < deadline)) || { echo "deploy test: nginx not healthy after 180 s" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$((PORT + 1))/health" > /dev/null
stack_seconds=$((SECONDS - up_started))
step "stack up and healthy in $stack_seconds s"

# --- traffic and faults ---------------------------------------------------------------
password="$(sed -n 's/^POSTGRES_PASSWORD=//p' "$ENV_FILE")"
"$NODE" test/deploy/drive-and-kill.ts --grpc "127.0.0.1:$PORT" \
  --database-url "postgres://summa:$password@127.0.0.1:$((PORT + 2))/summa" \
  --out-dir "$DEPLOY_LOGS" --compose "${COMPOSE[*]}" > "$DEPLOY_LOGS/report.json" 2> "$DEPLOY_LOGS/drive.log" \
  || { cat "$DEPLOY_LOGS/drive.log" "$DEPLOY_LOGS/report.json" >&2; exit 1; }
step "traffic and faults done: $(cat "$DEPLOY_LOGS/report.json")"
total="$(curl -fsS "http://127.0.0.1:$((PORT + 1))/total")"
step "GET /total through nginx: $total"

# Tracing: every service sent spans to "tempo" over OTLP/HTTP.
spans="$("$DOCKER" exec "$("${COMPOSE[@]}" ps -q tempo)" /usr/local/bin/node -e \
  'fetch("http://127.0.0.1:4318/spans").then((r) => r.text()).then(console.log)')"
for service in summa-calculator summa-relay summa-aggregator; do
  "$NODE" -e 'process.exit(JSON.parse(process.argv[1])[process.argv[2]] > 0 ? 0 : 1)' "$spans" "$service" \
    || { echo "deploy test: no spans from $service reached tempo: $spans" >&2; exit 1; }
done
step "spans received by tempo over OTLP: $spans"

# SIGTERM to every container (what `docker compose stop` and `down` send): summa, as PID 1,
# must drain and stop well within the grace period, not be killed at its end (137). A graceful
# stop ends by the signal it got (src/shared/stop-signals.ts, exitBySignal); as PID 1 the kernel
# drops that re-raised signal, so the status is the one a shell reports for it, 143, and the
# last lines of the log say "stopped" (a forced stop would exit 143 without it; a failed one, 1).
stop_started=$SECONDS
"${COMPOSE[@]}" stop -t 20 > "$DEPLOY_LOGS/stop.log" 2>&1
stop_seconds=$((SECONDS - stop_started))
"${COMPOSE[@]}" logs --no-color > "$DEPLOY_LOGS/stack.log" 2>&1
exits=""
for service in "${STACK[@]}"; do
  container="$("${COMPOSE[@]}" ps -q "$service")"
  code="$("$DOCKER" inspect --format '{{.State.ExitCode}}' "$container")"
  exits+="$service=$code "
  case "$service" in
    calculator-* | relay-* | aggregator-*)
      [[ "$code" == 143 ]] || { echo "deploy test: $service exited $code on SIGTERM, not 143 (SIGTERM)" >&2; exit 1; }
      "$DOCKER" logs --tail 20 "$container" 2>&1 | grep -q '"msg":"stopped"' \
        || { echo "deploy test: $service did not finish its graceful stop" >&2; exit 1; } ;;
    migrate | tempo)
      [[ "$code" == 0 ]] || { echo "deploy test: $service exited $code, not 0" >&2; exit 1; } ;;
  esac
done
step "stopped with SIGTERM in $stop_seconds s; exit codes: $exits"
down_started=$SECONDS
"${COMPOSE[@]}" down -v --remove-orphans > "$DEPLOY_LOGS/down.log" 2>&1
step "docker-compose down -v in $((SECONDS - down_started)) s"
"$NODE" -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))
  const line = { imageMB: Math.round(Number(process.argv[2]) / 1e6), summaLayersMB: Math.round((Number(process.argv[2]) - Number(process.argv[3])) / 1e6),
    stackStartSeconds: Number(process.argv[4]), addsThroughNginx: r.requests, attempts: r.attempts, answered: r.ok,
    faults: r.faults.map((f) => f.service + " back in " + (f.recoveredMs / 1000).toFixed(1) + " s"), verify: r.verify }
  require("fs").writeFileSync(process.argv[5], JSON.stringify(line, null, 2) + "\n")
  console.log("deploy test: " + JSON.stringify(line))
' "$DEPLOY_LOGS/report.json" "$image_bytes" "$base_bytes" "$stack_seconds" "$DEPLOY_LOGS/summary.json"

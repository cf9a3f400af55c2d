# Sourced by test/deploy/run.sh: a Docker daemon of the test's own (own socket,
# exec root and pidfile; a data root that outlives the run so the base images
# and build layers are cached), and the undoing of what dockerd changes on the
# host. dockerd sets the iptables FORWARD policy to DROP, turns on ip_forward,
# adds docker0 and its own chains and NAT rules, and leaves all of it behind
# when it stops: left there, they break the tests that build network
# namespaces with veth pairs.

DOCKER_DATA_ROOT="${SUMMA_TEST_DOCKER_DATA_ROOT:-/var/lib/summa-test-docker}"
DOCKER_RUN_DIR="${SUMMA_TEST_DOCKER_RUN_DIR:-/run/summa-test-docker}"
# Debian's client: it speaks BuildKit to this daemon (a newer client first on
# PATH may fall back to the legacy builder, which has no RUN --mount secrets).
DOCKER=/usr/bin/docker
export DOCKER_HOST="unix://$DOCKER_RUN_DIR/docker.sock"
export DOCKER_BUILDKIT=1

# The host's state before dockerd touched it, to put back and compare with: every rule and
# policy of the tables dockerd writes to. (Where iptables is nftables, the empty filter and nat
# tables dockerd created stay; without rules and with ACCEPT policies they change nothing.)
host_snapshot() {
  iptables -S
  iptables -t nat -S
  echo "ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)"
}

daemon_start() {
  SNAPSHOT_BEFORE="$(host_snapshot)"
  FORWARD_POLICY_BEFORE="$(iptables -S FORWARD | sed -n 's/^-P FORWARD //p')"
  IP_FORWARD_BEFORE="$(cat /proc/sys/net/ipv4/ip_forward)"
  if [[ -s "$DOCKER_RUN_DIR/docker.pid" ]] && kill -0 "$(cat "$DOCKER_RUN_DIR/docker.pid")" 2>/dev/null; then
    echo "deploy test: a daemon from an earlier run is still up (pid $(cat "$DOCKER_RUN_DIR/docker.pid")); stop it first" >&2
    return 1
  fi
  mkdir -p "$DOCKER_DATA_ROOT" "$DOCKER_RUN_DIR"
  dockerd --host "$DOCKER_HOST" --data-root "$DOCKER_DATA_ROOT" --exec-root "$DOCKER_RUN_DIR/exec" \
    --pidfile "$DOCKER_RUN_DIR/docker.pid" --log-level warn > "$DEPLOY_LOGS/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  local deadline=$((SECONDS + 60))
  until "$DOCKER" version > /dev/null 2>&1; do
    if ! kill -0 "$DOCKERD_PID" 2>/dev/null || ((SECONDS > deadline)); then
      echo "deploy test: dockerd did not start; its log:" >&2
      tail -20 "$DEPLOY_LOGS/dockerd.log" >&2
      return 1
    fi
    sleep 0.2
  done
}

# Stops the daemon (its containerd and shims go with it) and undoes its host
# changes, leaving any rule someone else added in place.
daemon_stop() {
  if [[ -n "${DOCKERD_PID:-}" ]] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    kill -TERM "$DOCKERD_PID"
    local deadline=$((SECONDS + 30))
    while kill -0 "$DOCKERD_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -0 "$DOCKERD_PID" 2>/dev/null && kill -KILL "$DOCKERD_PID"
    wait "$DOCKERD_PID" 2>/dev/null || true
  fi
  local table rule chain
  for table in filter nat; do
    # Rules that jump to or name docker's chains and bridges, then the chains.
    iptables -t "$table" -S | grep -E '^-A ' | grep -E 'DOCKER|docker0|br-[0-9a-f]{12}' | while read -r rule; do
      # shellcheck disable=SC2086  # the rule's own words, as iptables -S printed them
      eval "iptables -t $table ${rule/#-A/-D}" 2>/dev/null || true
    done
    iptables -t "$table" -S | sed -n 's/^-N \(DOCKER[A-Z0-9_-]*\)$/\1/p' | while read -r chain; do
      iptables -t "$table" -F "$chain" 2>/dev/null || true
    done
    iptables -t "$table" -S | sed -n 's/^-N \(DOCKER[A-Z0-9_-]*\)$/\1/p' | while read -r chain; do
      iptables -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
  [[ -n "${FORWARD_POLICY_BEFORE:-}" ]] && iptables -P FORWARD "$FORWARD_POLICY_BEFORE"
  [[ -n "${IP_FORWARD_BEFORE:-}" ]] && echo "$IP_FORWARD_BEFORE" > /proc/sys/net/ipv4/ip_forward
  local link
  for link in $(ip -o link show | sed -n 's/^[0-9]*: \(docker0\|br-[0-9a-f]\{12\}\)[@:].*/\1/p'); do
    ip link delete "$link" 2>/dev/null || true
  done
  rm -rf "$DOCKER_RUN_DIR"
}

# After daemon_stop: nothing of the stack or the daemon is left.
daemon_assert_gone() {
  local problems=()
  [[ -n "${DOCKERD_PID:-}" ]] && kill -0 "$DOCKERD_PID" 2>/dev/null && problems+=("dockerd $DOCKERD_PID still runs")
  pgrep -f "containerd-shim.*$DOCKER_RUN_DIR" > /dev/null && problems+=("a containerd shim of this daemon still runs")
  ip link show docker0 > /dev/null 2>&1 && problems+=("docker0 still exists")
  ip -o link show | grep -qE ': br-[0-9a-f]{12}[@:]' && problems+=("a Compose bridge still exists")
  local after
  after="$(host_snapshot)"
  if [[ "$after" != "$SNAPSHOT_BEFORE" ]]; then
    problems+=("iptables or ip_forward differ from before the run:")
    problems+=("$(diff <(echo "$SNAPSHOT_BEFORE") <(echo "$after") || true)")
  fi
  if ((${#problems[@]} > 0)); then
    printf 'deploy test: left behind: %s\n' "${problems[@]}" >&2
    return 1
  fi
  echo "deploy test: clean after the run (no container, no dockerd, no docker0, iptables and ip_forward as before)"
}

# summa: two commands on a fresh clone.
#   make up    run the whole system in the foreground (Ctrl-C stops it cleanly)
#   make test  run every test against real PostgreSQL and Kafka
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

NODE := node_modules/node/bin/node
BIN := node_modules/.bin
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: help install build up test check unit integration generate kafka-install clean
.PHONY: system-packages observability-check dashboards
.PHONY: faults soak test-tools k8s-check contracts contracts-baseline test-deploy console-png

help:
	@echo "make up      run summa (broker, calculator, relay, aggregator) in the foreground"
	@echo "make test    every check and test (format, lint, types, generated code, unit, integration)"
	@echo "make check   format, lint, types, generated code, contracts and folder boundaries only"
	@echo "make faults  the bounded fault-injection suite alone (part of make test)"
	@echo "make test-deploy  the container image and the Compose stack, built and run under faults (part of make test)"
	@echo "make soak    the fault suite with more traffic and longer runs (not part of make test)"
	@echo "make observability-check  promtool checks and alert rule tests"
	@echo "make dashboards           regenerate the Grafana dashboard JSON"
	@echo "make console-png          retake docs/console.png (the console test, writing its screenshot there)"
	@echo "make k8s-check            render and validate the Kubernetes manifests offline"
	@echo "make build   compile src/ to dist/ (done by up, test and bench)"
	@echo "make contracts  regenerate docs/openapi.json and docs/schemas/ from the schemas in code"
	@echo "make clean   remove local state (database contents, .data) and caches"
	@echo "make bench  benchmark summa against a bare grpc-js server; three runs; writes docs/PERFORMANCE.md (~19 min)"
	@echo "make bench-scale  1 and 2 replicas of every service under the same load; writes results/bench-scale.md (~4 min)"

# npm ci installs the pinned Node.js (the 'node' package) next to the other dependencies.
node_modules/.install-stamp: package.json package-lock.json $(wildcard patches/*.patch)
	npm ci --no-audit --no-fund --loglevel=error
	@$(NODE) --version > /dev/null || { echo "the pinned Node.js did not install (node_modules/node)" >&2; exit 1; }
	touch $@

install: node_modules/.install-stamp kafka-install build

# The services run compiled JavaScript: the same code as src/, without loading
# the TypeScript stripper into every process (about 25 MB less resident memory
# each; docs/PERFORMANCE.md). Rebuilt whenever a file under src/ changes.
SOURCES := $(shell find src -type f)
dist/.build-stamp: node_modules/.install-stamp tsconfig.json tsconfig.build.json $(SOURCES)
	rm -rf dist
	$(BIN)/tsc -p tsconfig.build.json
	cd src && find . -type f ! -name '*.ts' -exec cp --parents {} ../dist/ \;
	touch $@

build: dist/.build-stamp

# The tests (not `make up`) need Debian's Prometheus (prometheus, promtool) and
# Chromium (driven by playwright-core, whose own browser download cannot work
# here). Installed only when missing; CI runs as root.
system-packages:
	@if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null || [ ! -x /usr/bin/chromium ]; then \
	  echo "installing Debian packages: prometheus chromium fonts-liberation"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus chromium fonts-liberation; \
	fi

kafka-install:
	scripts/kafka/install.sh

up: install
	$(NODE) dist/bin/summa.js up

test: install system-packages check observability-check k8s-check unit integration faults test-deploy

check: node_modules/.install-stamp
	$(BIN)/biome ci .
	$(BIN)/tsc -p .
	scripts/check-generated.sh
	scripts/check-k6.sh
	$(NODE) scripts/check-version.ts
	$(NODE) scripts/check-layout.ts
	scripts/check-protos.sh
	$(NODE) scripts/write-contracts.ts --check

# Coverage of src/ by node's own coverage (V8's, no dependency). It counts the files a run
# loads, not every file under src/; generated stubs, specs and their test doubles are left out.
COVERAGE := --experimental-test-coverage --test-coverage-include='src/**' \
  --test-coverage-exclude='src/**/*.spec.ts' --test-coverage-exclude='src/**/*.fakes.ts' \
  --test-coverage-exclude='src/shared/generated/**'
# The unit run's floors, a little below what it measures (CONTRIBUTING.md): a change that drops
# below one fails `make unit`. Raise them when coverage rises; lower them only with a reason.
UNIT_COVERAGE_FLOORS := --test-coverage-lines=77 --test-coverage-branches=85 --test-coverage-functions=72

# The floors hold src/'s own specs: the other folders' specs load service code they do not test
# (the manifests' check reads the config and start-up modules), which would count as uncovered.
unit: node_modules/.install-stamp
	$(NODE) --test $(COVERAGE) $(UNIT_COVERAGE_FLOORS) 'src/**/*.spec.ts'
	$(NODE) --test 'observability/**/*.spec.ts' 'bench/**/*.spec.ts' 'deploy/**/*.spec.ts' 'scripts/**/*.spec.ts'

# Prometheus config, recording and alert rules, and the alert rules' unit tests.
observability-check: system-packages
	promtool check config observability/prometheus/prometheus.yml
	promtool check rules observability/prometheus/rules/*.yml
	promtool test rules observability/prometheus/tests/*.test.yml

# Kubernetes manifests (deploy/k8s): every overlay rendered by `kubectl kustomize`, each object
# checked offline against the official and the operators' schemas, and the whole render against
# the code and the Dockerfile (deploy/k8s/check). Offline: no cluster. scripts/k8s/kubectl.sh
# finds a recent enough kubectl, or installs one from npm (Debian's is too old to render these).
k8s-check: node_modules/.install-stamp
	KUBECTL="$$(scripts/k8s/kubectl.sh)" $(NODE) deploy/k8s/check/check-manifests.ts

dashboards: node_modules/.install-stamp
	$(NODE) observability/grafana/write-dashboards.ts

# The console's picture in the README: test/integration/console.test.ts, which otherwise writes its
# screenshot to a temp dir, saves it as docs/console.png. Only on purpose: commit it if it is better.
console-png: install system-packages
	SUMMA_WRITE_CONSOLE_PNG=1 $(NODE) --test --test-global-setup=test/global-setup.ts test/integration/console.test.ts

# `make integration COVERAGE_REPORT=1` adds the coverage report (the services' child processes
# included); it holds no floor yet, and stays off by default (CONTRIBUTING.md says why).
integration: install system-packages test-tools
	$(NODE) --test $(if $(COVERAGE_REPORT),$(COVERAGE)) --test-concurrency=2 --test-timeout=180000 --test-global-setup=test/global-setup.ts 'test/integration/**/*.test.ts'

generate: node_modules/.install-stamp
	scripts/generate-proto.sh

# The JSON Schema of the Kafka event (docs/schemas/), generated from the schemas in code.
contracts: node_modules/.install-stamp
	$(NODE) scripts/write-contracts.ts

# On a release only: record today's protos and event schema as the contract
# `make check` holds later changes to (CONTRIBUTING.md).
contracts-baseline: node_modules/.install-stamp
	scripts/write-proto-baseline.sh
	$(NODE) scripts/write-contracts.ts --release

# Fault injection (docs/RELIABILITY.md): its own brokers and PostgreSQL clusters on
# SUMMA_TEST_FAULTS_PORT..+2 (default 19400), +30..+32 (replicas) and +40..+42 (TLS and
# authentication on), and three brokers on SUMMA_TEST_CLUSTER_PORT (19410-19415), so it may kill them.
faults: install test-tools
	$(NODE) --test --test-concurrency=1 --test-timeout=400000 test/faults/*.test.ts

soak: install test-tools
	SUMMA_FAULTS_RATE=$${SUMMA_FAULTS_RATE:-300} SUMMA_FAULTS_TRAFFIC_AFTER_MS=$${SUMMA_FAULTS_TRAFFIC_AFTER_MS:-60000} \
	  $(NODE) --test --test-concurrency=1 --test-timeout=900000 test/faults/*.test.ts

# kcat (an anonymous Kafka client the authenticated brokers must refuse), PostgreSQL's
# server binaries (the fault suite's and the PostgreSQL TLS test's own clusters),
# nginx (the gateway test runs deploy/nginx with it, as its own process, never the
# system service) and openssl (the throwaway CAs of the gateway and TLS tests),
# from Debian's packages when missing.
test-tools:
	@command -v kcat > /dev/null || { apt-get update && apt-get install -y --no-install-recommends kcat; }
	@test -x /usr/lib/postgresql/15/bin/initdb || { apt-get update && apt-get install -y --no-install-recommends postgresql-15; }
	@test -x /usr/sbin/nginx || command -v nginx > /dev/null || { apt-get update && apt-get install -y --no-install-recommends nginx; }
	@command -v openssl > /dev/null || { apt-get update && apt-get install -y --no-install-recommends openssl; }

# The container image and the Compose stack (docs/DEPLOYMENT.md): the Compose files checked
# statically, then the image built and the stack run for real under faults on a Docker daemon
# of the test's own (root; installs docker.io, docker-compose and debootstrap when missing).
# Its cache (base images, layers) lives in /var/lib/summa-test-docker; ports 127.0.0.1:19600-19605
# unless SUMMA_TEST_DEPLOY_PORT says otherwise.
test-deploy: install system-packages
	@command -v docker-compose > /dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io docker-compose debootstrap; }
	$(NODE) --test test/deploy/*.test.ts
	test/deploy/run.sh

# The database is state too: broker data without it (or the reverse) would not
# match, and the aggregator refuses to continue from offsets of a lost topic.
clean:
	-@test -x $(NODE) && $(NODE) src/bin/summa.ts reset --yes
	rm -rf .data .test-data .cache dist

# Benchmark (not part of `make test`): bare grpc-js vs summa on this machine, three runs (BENCH_RUNS),
# each with its own PostgreSQL cluster and Kafka broker on ports 19510-19540. Keeps every run in
# results/ (git-ignored) and rewrites docs/PERFORMANCE.md with its chart and
# docs/performance-runs.json (the runs it shows).
.PHONY: bench bench-scale
bench: install
	$(NODE) bench/run-bench.ts
	@# What authentic events cost per event (signing in the calculator, verifying in the aggregator).
	$(NODE) bench/event-signature-cost.ts | tee results/event-signature-cost.json

# 1 and 2 replicas of every service under the same load, side by side (results/bench-scale.md).
bench-scale: install
	$(NODE) bench/run-bench-scale.ts

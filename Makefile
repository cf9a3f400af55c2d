# summa: two commands on a fresh clone.
#   make up    run the whole system in the foreground (Ctrl-C stops it cleanly)
#   make test  run every test against real PostgreSQL and Kafka
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

NODE := node_modules/node/bin/node
BIN := node_modules/.bin
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: help install up test check unit integration generate kafka-install clean

help:
	@echo "make up      run summa (broker, calculator, relay, aggregator) in the foreground"
	@echo "make test    every check and test (format, lint, types, generated code, unit, integration)"
	@echo "make check   format, lint, types and generated code only"
	@echo "make clean   remove local state (.data) and caches"
	@echo "make bench  benchmark summa against a bare grpc-js server; writes docs/PERFORMANCE.md (~10 min)"

# npm ci installs the pinned Node.js (the 'node' package) next to the other dependencies.
node_modules/.install-stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@$(NODE) --version > /dev/null || { echo "the pinned Node.js did not install (node_modules/node)" >&2; exit 1; }
	touch $@

install: node_modules/.install-stamp kafka-install

kafka-install:
	scripts/kafka/install.sh

up: install
	$(NODE) src/bin/summa.ts up

test: install check unit integration

check: node_modules/.install-stamp
	$(BIN)/biome ci .
	$(BIN)/tsc -p .
	scripts/check-generated.sh
	scripts/check-k6.sh

unit: node_modules/.install-stamp
	$(NODE) --test 'src/**/*.spec.ts'

integration: install
	$(NODE) --test --test-concurrency=2 --test-timeout=180000 --test-global-setup=test/global-setup.ts 'test/integration/**/*.test.ts'

generate: node_modules/.install-stamp
	scripts/generate-proto.sh

clean:
	rm -rf .data .test-data .cache

# Benchmark (not part of `make test`): bare grpc-js vs summa on this machine, own PostgreSQL
# cluster and Kafka broker on ports 19510-19540; writes results/ and docs/PERFORMANCE.md.
.PHONY: bench
bench: install
	$(NODE) bench/run-bench.ts

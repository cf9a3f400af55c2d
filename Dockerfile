# One image for the three services and the CLI:
#   docker build -t summa:0.1.0 .
#   docker run --rm summa:0.1.0 help
# The command is a summa subcommand: calculator | relay | aggregator | migrate | verify | health | …
#
# BASE_IMAGE is any Debian-based image with Node.js 24 (node and npm in /usr/local/bin). Users
# build on the official image; pin it by digest for reproducible builds (docs/DEPLOYMENT.md says
# how to read the digest), e.g.
#   --build-arg BASE_IMAGE=node:24.21.0-bookworm-slim@sha256:<digest>
# The tests build this same file on a base made locally from Debian's packages.
# No `# syntax=` line: the builder's own Dockerfile frontend is enough for RUN --mount, and
# builders that reach no registry (the tests' machines) could not fetch one.
ARG BASE_IMAGE=node:24.21.0-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /app
# Dependencies first, so a change under src/ reuses this layer.
COPY package.json package-lock.json ./
COPY patches ./patches
# --ignore-scripts: the base has Node, and the pinned `node` package's preinstall would download a
# second copy; the one script that matters, the postgres.js patch (docs/DEPENDENCIES.md), is
# applied by hand right after. A build behind a TLS-inspecting proxy passes the CA
# bundle npm must trust as a secret; it is mounted for this step only and never stored in a layer:
#   docker build --secret id=npm_ca,src=/etc/ssl/certs/ca-certificates.crt .
RUN --mount=type=secret,id=npm_ca,required=false \
    --mount=type=cache,target=/root/.npm \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error \
 && node_modules/.bin/patch-package --error-on-fail
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# What `make build` does: compile, copy the non-TypeScript assets (the console's static files).
RUN node_modules/.bin/tsc -p tsconfig.build.json \
 && (cd src && find . -type f ! -name '*.ts' -exec cp --parents {} ../dist/ \;) \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error \
 && mkdir -p /var/lib/summa

FROM ${BASE_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="summa" \
      org.opencontainers.image.description="A gRPC calculator whose sums reach a running total exactly once, through a PostgreSQL outbox and Apache Kafka." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
# The only shell use is here, at build time; nothing at run time needs one.
RUN groupadd --system --gid 10001 summa \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/summa --no-create-home \
      --shell /usr/sbin/nologin summa
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY sql ./sql
COPY proto ./proto
# The data directory (sum.txt, audit.jsonl) is a volume; a named volume starts with this
# directory's owner, so the non-root user can write it on a read-only root filesystem.
COPY --from=build --chown=10001:10001 /var/lib/summa /var/lib/summa
VOLUME /var/lib/summa
ENV NODE_ENV=production \
    SUMMA_HOST=0.0.0.0 \
    SUMMA_DATA_DIR=/var/lib/summa
USER 10001:10001
# gRPC (calculator), REST + console (aggregator), ops HTTP of calculator and relay.
EXPOSE 9090 8080 8081 8082
# Node is PID 1 and summa handles SIGTERM and SIGINT itself (src/shared/lifecycle.ts: drain, then
# exit 143 or 130), so no init is needed; the services spawn no children to reap. The V8 flags are the ones
# bin/summa gives the services (src/cli/service-runtime.ts; a unit test keeps them equal).
ENTRYPOINT ["/usr/local/bin/node", "--max-semi-space-size=4", "--heap-growing-percent=50", "--no-maglev-destroy-on-background", "--v8-pool-size=1", "/app/dist/bin/summa.js"]
CMD ["help"]

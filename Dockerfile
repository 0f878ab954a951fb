# syntax=docker/dockerfile:1
# Multi-stage: build the self-contained executable with Bun (from the npm registry), then ship it alone
# on a slim Debian as a non-root user. Data (embedded database, uploads, results) lives in /data.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN ./node_modules/.bin/bun run build && ./dist/annopage --version

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /home/annopage annopage \
 && mkdir -p /data && chown annopage:annopage /data
COPY --from=build /src/dist/annopage /usr/local/bin/annopage
USER annopage
WORKDIR /data
ENV BASE_DIR=/data APP_HOST=0.0.0.0 APP_PORT=9999 PRODUCTION=true
# Bun's allocator (mimalloc) keeps freed memory instead of handing it back to the system after 100 ms: on the 2-core
# benchmark VM the give-back and the page faults that follow cost ~30 % of an upload's CPU (docs/deployment.md)
ENV MIMALLOC_PURGE_DELAY=-1
EXPOSE 9999
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS http://127.0.0.1:9999/healthz || exit 1
ENTRYPOINT ["annopage"]
CMD ["serve"]

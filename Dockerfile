# syntax=docker/dockerfile:1
# proxmox-mcp: a small runtime image with the release binary and CA certificates.
#
#   docker build -t proxmox-mcp .
#   docker run -p 127.0.0.1:8000:8000 -v ./clusters.json:/config/clusters.json:ro \
#     -e MCP_AUTH_TOKEN=... proxmox-mcp

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
# The same build command CI runs (.ci/run builds with --locked too).
RUN cargo build --release --locked --bin proxmox-mcp \
    && install -D -m 0755 target/release/proxmox-mcp /out/proxmox-mcp

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin mcp \
    && mkdir -p /config
COPY --from=build /out/proxmox-mcp /usr/local/bin/proxmox-mcp
USER 10001
ENV MCP_LISTEN=0.0.0.0:8000 \
    CLUSTERS_FILE=/config/clusters.json \
    MCP_LOG_FORMAT=json
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/usr/local/bin/proxmox-mcp", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/proxmox-mcp"]
CMD ["serve"]

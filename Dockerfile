# syntax=docker/dockerfile:1
#
# Two images from one file:
#   default target (`linux`): FROM scratch, one static binary (the native host with the tool
#       component precompiled inside), for the Docker MCP Toolkit and `docker run -i`.
#       linux/amd64 and linux/arm64, cross-compiled on the build machine's own platform.
#   target `wasm`: the bare component for Docker's Wasm runtime (platform wasi/wasm), which
#       serves MCP over Streamable HTTP on port 8080.
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t facturation-pro-mcp .
#   docker buildx build --target wasm --platform wasi/wasm -t facturation-pro-mcp:wasm .
#
# BINARIES=prebuilt takes the files that scripts/build-linux-binaries.sh and
# scripts/build-wasm-component.sh left in target/image instead of compiling here: the same
# scripts the builder stages run, for machines that cannot pull the Rust image (our CI).

ARG RUST_IMAGE=docker.io/library/rust:1.95.0-slim-bookworm
ARG BINARIES=source

# ---- builders: run on the build machine's platform, cross-compile for the target --------
FROM --platform=$BUILDPLATFORM ${RUST_IMAGE} AS builder
# musl-gcc for the machine's own architecture, Debian's cross gcc for the other one.
RUN case "$(dpkg --print-architecture)" in \
        amd64) cross="gcc-aarch64-linux-gnu libc6-dev-arm64-cross" ;; \
        arm64) cross="gcc-x86-64-linux-gnu libc6-dev-amd64-cross" ;; \
        *) echo "build the images on an amd64 or arm64 machine" >&2; exit 1 ;; \
    esac \
 && apt-get update \
 && apt-get install -y --no-install-recommends musl-tools $cross \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .

FROM builder AS linux-source-build
ARG TARGETARCH
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target,id=facturation-pro-target \
    ./scripts/build-linux-binaries.sh "$TARGETARCH" \
 && cp -a "target/image/linux-$TARGETARCH" /rootfs

FROM builder AS wasm-source-build
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target,id=facturation-pro-target \
    ./scripts/build-wasm-component.sh \
 && cp -a target/image/wasm /rootfs

# ---- where the files come from: built above, or prebuilt in target/image -------------------
FROM scratch AS linux-source
COPY --from=linux-source-build /rootfs/ /

FROM scratch AS linux-prebuilt
ARG TARGETARCH
COPY target/image/linux-${TARGETARCH}/ /

FROM scratch AS wasm-source
COPY --from=wasm-source-build /rootfs/ /

FROM scratch AS wasm-prebuilt
COPY target/image/wasm/ /

FROM linux-${BINARIES} AS linux-files
FROM wasm-${BINARIES} AS wasm-files

# ---- the images --------------------------------------------------------------------------
FROM scratch AS wasm
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="facturation-pro-mcp (wasm)" \
      org.opencontainers.image.description="MCP server for Facturation.PRO as a bare WASI component serving Streamable HTTP" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/facturation-pro-mcp/facturation-pro-mcp" \
      io.modelcontextprotocol.server.name="io.github.facturation-pro-mcp/facturation-pro"
COPY --from=wasm-files /facturation-pro-mcp.wasm /facturation-pro-mcp.wasm
ENTRYPOINT ["/facturation-pro-mcp.wasm"]

FROM scratch AS linux
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="facturation-pro-mcp" \
      org.opencontainers.image.description="Sandboxed MCP server for the Facturation.PRO invoicing API" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/facturation-pro-mcp/facturation-pro-mcp" \
      org.opencontainers.image.url="https://github.com/facturation-pro-mcp/facturation-pro-mcp" \
      org.opencontainers.image.vendor="facturation-pro-mcp" \
      io.modelcontextprotocol.server.name="io.github.facturation-pro-mcp/facturation-pro"
COPY --from=linux-files /etc/passwd /etc/group /etc/
COPY --from=linux-files /facturation-pro-mcp /facturation-pro-mcp
# The one folder the server writes to (PDFs, exports); the unprivileged user owns it, so a
# named volume mounted there starts out writable for that user.
COPY --from=linux-files --chown=10001:10001 /downloads /downloads
# Where `login` keeps the OAuth tokens (there is no keyring in a container): mount a volume
# here to stay signed in across containers.
COPY --from=linux-files --chown=10001:10001 /config /config
ENV FACTURATION_DOWNLOADS_DIR=/downloads
ENV FACTURATION_OAUTH_TOKEN_FILE=/config/oauth-tokens.json
# The root filesystem is read-only, so the audit log of writes goes to the container's log.
ENV FACTURATION_AUDIT_LOG=/dev/stderr
VOLUME ["/downloads", "/config"]
# Nothing else in the image is writable or even owned by this user: run it with
# --read-only --cap-drop ALL --security-opt no-new-privileges.
USER 10001:10001
ENTRYPOINT ["/facturation-pro-mcp"]

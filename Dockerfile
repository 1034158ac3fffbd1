# influx-authz: build the release binary, then ship it alone on a slim Debian.
# What `COPY . .` sends is trimmed by .dockerignore (no target/, .git/, node_modules/, ...).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin influx-authz

FROM debian:bookworm-slim
RUN useradd --system --home /var/lib/influx-authz influx-authz \
    && mkdir -p /var/lib/influx-authz && chown influx-authz /var/lib/influx-authz
COPY --from=build /src/target/release/influx-authz /usr/local/bin/influx-authz
USER influx-authz
ENV INFLUXD_HTTP_BIND_ADDRESS=0.0.0.0:8086 \
    INFLUX_AUTHZ_DB_PATH=/var/lib/influx-authz/influx-authz.redb
VOLUME /var/lib/influx-authz
EXPOSE 8086
# Healthy while GET /health answers 200 ("status":"pass"); 503 (the store, e.g. PostgreSQL, is unreachable or
# read-only), no answer, or no listener is unhealthy. Compose's `condition: service_healthy` and orchestrators
# read it. debian:bookworm-slim has no curl or wget, but bash is always there (an essential package): its
# /dev/tcp sends a bare HTTP/1.0 request, so the image needs no extra package. The port comes from
# INFLUXD_HTTP_BIND_ADDRESS (also when it is changed at run time); a wildcard address (0.0.0.0, [::]) is
# reached on loopback, a specific one directly.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/bin/bash", "-c", "addr=${INFLUXD_HTTP_BIND_ADDRESS:-127.0.0.1:8086}; port=${addr##*:}; host=${addr%:*}; host=${host#'['}; host=${host%']'}; case $host in 0.0.0.0) host=127.0.0.1 ;; ::) host=::1 ;; esac; exec 3<>\"/dev/tcp/$host/$port\" || exit 1; printf 'GET /health HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3; read -r -t 4 version status rest <&3; [[ $status == 200 ]]"]
ENTRYPOINT ["/usr/local/bin/influx-authz"]
CMD ["serve"]

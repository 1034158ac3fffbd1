# influx-authz: build the release binary, then ship it alone on a slim Debian.
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
ENTRYPOINT ["/usr/local/bin/influx-authz"]
CMD ["serve"]

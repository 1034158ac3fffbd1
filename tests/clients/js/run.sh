#!/usr/bin/env bash
# Runs the influx-authz checks that use the official InfluxDB JavaScript client
# (@influxdata/influxdb-client + @influxdata/influxdb-client-apis, pinned 1.35.0).
#
# Dependencies are NOT installed here: CI runs `npm ci` in this directory beforehand
# (it installs exactly what package-lock.json pins). Locally:
#   (cd tests/clients/js && npm ci && ./run.sh)
#
# The server binary comes from $INFLUX_AUTHZ_BIN, default <repo>/target/debug/influx-authz
# (build it with `cargo build --bin influx-authz`). Each test file starts its own
# server(s) on a free port with a temporary redb file and stops them afterwards.
#
# Uses Node 20's built-in test runner; its summary prints the pass/fail counts.
# Exit status: the test runner's (0 = all passed).
set -u
cd "$(dirname "$0")"
node --test --test-reporter=spec "$@"
exit $?

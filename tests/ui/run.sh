#!/usr/bin/env bash
# End-to-end tests of the API Tokens page (served at / by influx-authz), in a real headless browser:
# Debian's chromium (/usr/bin/chromium, `apt-get install -y chromium`) driven by playwright-core (pinned in
# package.json; playwright-core downloads no browser).
#
# Dependencies are NOT installed here: CI runs `npm ci` in this directory first (exactly what
# package-lock.json pins). Locally:
#   cargo build --bin influx-authz && (cd tests/ui && npm ci && ./run.sh)
#
# The server binary comes from $INFLUX_AUTHZ_BIN, default <repo>/target/debug/influx-authz. Each test file starts
# its own server (free port, temporary redb file, set up through DOCKER_INFLUXDB_INIT_*) and its own browser
# (fresh profile). Screenshots of the token list go to <repo>/target/ui-screenshots/ (never committed); their
# paths are printed.
#
# Uses Node's built-in test runner; exit status is the runner's (0 = all passed).
set -u
cd "$(dirname "$0")"
node --test --test-reporter=spec "$@"
exit $?

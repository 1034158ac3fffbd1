#!/usr/bin/env bash
# Runs the influxdb-client-python suite against influx-authz.
#   INFLUX_AUTHZ_BIN  server binary (default: <repo>/target/debug/influx-authz, built if missing)
#   INFLUX_AUTHZ_PY_VENV  virtualenv to use/create (default: $TMPDIR/influx-authz-py-client-venv)
# Extra arguments go to pytest. Exits with pytest's status.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"

export INFLUX_AUTHZ_BIN="${INFLUX_AUTHZ_BIN:-$repo/target/debug/influx-authz}"
if [ ! -x "$INFLUX_AUTHZ_BIN" ]; then
  echo "run.sh: building influx-authz ($INFLUX_AUTHZ_BIN not found)" >&2
  (cd "$repo" && cargo build --quiet --bin influx-authz)
fi

venv="${INFLUX_AUTHZ_PY_VENV:-${TMPDIR:-/tmp}/influx-authz-py-client-venv}"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  echo "$want" > "$stamp"
fi

cd "$here"
set +e
"$venv/bin/python" -m pytest -q "$@"
status=$?
set -e
exit "$status"

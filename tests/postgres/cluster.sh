#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests, never one already running on the machine: Debian's server
# binaries, initdb into a directory the caller owns, run as the `postgres` user when we are root, listening on one
# loopback port only (no Unix socket), trust authentication for the `postgres` superuser.
#
#   cluster.sh start DIR [PORT]     prints the port (a free one unless given); data in DIR/data, log in DIR/log
#   cluster.sh stop DIR             immediate shutdown
#   cluster.sh restart DIR PORT     starts a stopped cluster again (EXTRA_OPTIONS: more -c settings)
#   cluster.sh standby DIR PORT PRIMARY_PORT [NAME]
#                                   rebuilds DIR as a streaming standby of PRIMARY_PORT and starts it on PORT
#   cluster.sh kill9 DIR            SIGKILL to the postmaster and its backends (a crash)
#   cluster.sh promote DIR          promotes a standby to primary (pg_ctl promote)
#   cluster.sh createdb PORT NAME   creates database NAME (no error if it exists)
#   cluster.sh signal DIR STOP|CONT pauses or resumes the database (the postmaster and its backends)
#   cluster.sh sql PORT NAME SQL    runs SQL in database NAME, prints the rows
#   cluster.sh dump PORT NAME       prints the rows of database NAME (pg_dump --data-only)
#   cluster.sh bindir               prints the directory of the server binaries
# Exits 3 when PostgreSQL's server binaries are not installed (Debian package: postgresql).
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [[ -z "$bindir" || ! -x "$bindir/initdb" ]]; then
    echo "cluster.sh: PostgreSQL's server binaries are not installed (Debian package: postgresql)" >&2
    exit 3
fi

# initdb and postgres refuse to run as root.
as_owner() {
    if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "${1:-}" in
start)
    dir=$2
    port=${3:-$(free_port)}
    mkdir -p "$dir"
    [[ $(id -u) == 0 ]] && chown postgres: "$dir"
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-instructions \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=400 ${EXTRA_OPTIONS:-}" \
        start >/dev/null || { cat "$dir/log" >&2; exit 1; }
    echo "$port"
    ;;
stop)
    as_owner "$bindir/pg_ctl" -D "$2/data" -m immediate -w stop >/dev/null 2>&1 || true
    ;;
restart)
    dir=$2
    port=$3
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=400 ${EXTRA_OPTIONS:-}" \
        start >/dev/null || { cat "$dir/log" >&2; exit 1; }
    ;;
standby)
    # DIR becomes a streaming standby of the primary on 127.0.0.1:PRIMARY_PORT (a fresh base backup, as an
    # orchestrator rebuilds a failed node), named NAME for synchronous_standby_names, started on PORT.
    dir=$2
    port=$3
    primary_port=$4
    name=${5:-standby}
    rm -rf "$dir/data"
    mkdir -p "$dir"
    [[ $(id -u) == 0 ]] && chown postgres: "$dir"
    as_owner "$bindir/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir/data" -X stream -R -c fast \
        >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
    echo "primary_conninfo = 'host=127.0.0.1 port=$primary_port user=postgres application_name=$name'" \
        | as_owner tee -a "$dir/data/postgresql.auto.conf" >/dev/null
    "$0" restart "$dir" "$port"
    ;;
kill9)
    # As a crash of the node: SIGKILL to the postmaster and every backend.
    pid=$(head -n 1 "$2/data/postmaster.pid")
    kill -KILL "$pid" $(pgrep -P "$pid") 2>/dev/null || true
    ;;
promote)
    as_owner "$bindir/pg_ctl" -D "$2/data" -w -t 60 promote >/dev/null
    ;;
createdb)
    out=$("$bindir/psql" -h 127.0.0.1 -p "$2" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt \
        -c "CREATE DATABASE \"$3\"" 2>&1) || grep -q "already exists" <<<"$out" || { echo "$out" >&2; exit 1; }
    ;;
signal)
    # The postmaster and every backend it has forked: SIGSTOP pauses the whole database, SIGCONT resumes it.
    pid=$(head -n 1 "$2/data/postmaster.pid")
    kill "-$3" "$pid" $(pgrep -P "$pid") 2>/dev/null || true
    ;;
sql)
    "$bindir/psql" -h 127.0.0.1 -p "$2" -U postgres -d "$3" -v ON_ERROR_STOP=1 -qAt -c "$4"
    ;;
dump)
    "$bindir/pg_dump" -h 127.0.0.1 -p "$2" -U postgres --data-only "$3"
    ;;
bindir)
    echo "$bindir"
    ;;
*)
    echo "usage: cluster.sh start DIR [PORT] | stop DIR | restart DIR PORT | standby DIR PORT PRIMARY_PORT [NAME] | kill9 DIR | promote DIR | createdb PORT NAME | signal DIR STOP|CONT | sql PORT NAME SQL | dump PORT NAME | bindir" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# The nginx guard of docker-compose.yml's `guard` profile, tested without Docker: the same
# deploy/nginx/guard.conf.template, rendered with envsubst (as the official nginx image does) for local ports,
# run by Debian's nginx as the current user, in front of a dummy upstream (a second nginx server block that
# echoes who was let in), asking a real influx-authz (the debug binary, a temp redb file, a known operator
# token) at GET /api/v2/authz/check. Then curl checks: an allowed token reaches the upstream (in each
# credential form), no or an unknown token is 401, a token without the permission is 403, a deleted token is
# 401 on the next request; and a v1 user (a /private/legacy/authorizations user name and password) gets through
# with `?u=&p=` on the proxied URL (the check reads it from X-Original-URI) and with Basic, a wrong password is
# 401, and the v1 authorization, set inactive and then deleted, is 401 on the very next request.
#
# Needs: nginx (with auth_request, as Debian's is), envsubst (gettext-base), curl, jq, python3, a built server.
# A missing tool is a failure, not a skip.
# Env: INFLUX_AUTHZ_BIN  server binary (default: target/debug/influx-authz under the repo root)
# The last line printed is "proxy: N passed, N failed".
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT" || exit 2
BIN="${INFLUX_AUTHZ_BIN:-target/debug/influx-authz}"
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
TEMPLATE="$ROOT/deploy/nginx/guard.conf.template"

PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "== PASS: $1"; }
fail() { FAILED=$((FAILED + 1)); echo "== FAIL: $1"; }
finish() {
    echo "proxy: $PASSED passed, $FAILED failed"
    if ((FAILED > 0 || PASSED == 0)); then exit 1; fi
    exit 0
}

NGINX="$(command -v nginx || true)"
if [[ -z "$NGINX" && -x /usr/sbin/nginx ]]; then NGINX=/usr/sbin/nginx; fi
missing=()
[[ -n "$NGINX" ]] || missing+=("nginx")
for tool in envsubst curl jq python3; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]} > 0)); then
    fail "tools installed (missing: ${missing[*]}; on Debian: apt-get install nginx gettext-base curl jq python3)"
    finish
fi
if [[ ! -x "$BIN" ]]; then
    fail "server binary exists ($BIN; build it with: cargo build --bin influx-authz)"
    finish
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/influx-authz-proxy.XXXXXX")"
# nginx's workers may run as another user (nobody, when started as root): let them reach their temp paths.
chmod 755 "$WORK"
SERVER_PID=""
NGINX_PID=""
stop() {
    local pid="$1"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill "$pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
cleanup() {
    local status=$?
    stop "$NGINX_PID"
    stop "$SERVER_PID"
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r AUTHZ_PORT GUARD_PORT UPSTREAM_PORT < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
for s in socks: s.close()')
AUTHZ="http://127.0.0.1:$AUTHZ_PORT"
GUARD="http://127.0.0.1:$GUARD_PORT"
OPERATOR_TOKEN="proxy-test-operator-token"

# --- influx-authz ---------------------------------------------------------------------------------
DOCKER_INFLUXDB_INIT_MODE=setup DOCKER_INFLUXDB_INIT_USERNAME=admin DOCKER_INFLUXDB_INIT_PASSWORD=password123 \
DOCKER_INFLUXDB_INIT_ORG=my-org DOCKER_INFLUXDB_INIT_BUCKET=my-bucket \
DOCKER_INFLUXDB_INIT_ADMIN_TOKEN="$OPERATOR_TOKEN" \
    "$BIN" serve --http-bind-address "127.0.0.1:$AUTHZ_PORT" --db-path "$WORK/influx-authz.redb" \
    >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
up=0
for _ in $(seq 1 100); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' "$AUTHZ/health")" == "200" ]]; then up=1; break; fi
    sleep 0.1
done
if ((up == 0)); then
    fail "influx-authz answers GET /health"
    tail -n 20 "$WORK/server.log"
    finish
fi

api() { curl -s -H "Authorization: Token $OPERATOR_TOKEN" -H 'Content-Type: application/json' "$@"; }
ORG_ID="$(api "$AUTHZ/api/v2/orgs?org=my-org" | jq -r '.orgs[0].id')"
BUCKET_ID="$(api "$AUTHZ/api/v2/buckets?name=my-bucket" | jq -r '.buckets[0].id')"
token_for() { # ACTION -> "id token" of a new token with ACTION on my-bucket
    api -X POST "$AUTHZ/api/v2/authorizations" --data-binary "{\"orgID\":\"$ORG_ID\",\"permissions\":[
        {\"action\":\"$1\",\"resource\":{\"type\":\"buckets\",\"id\":\"$BUCKET_ID\",\"orgID\":\"$ORG_ID\"}}]}" |
        jq -r '"\(.id) \(.token)"'
}
read -r WRITER_ID WRITER < <(token_for write)
read -r _ READER < <(token_for read)
if [[ -z "${WRITER:-}" || "$WRITER" == null || -z "${READER:-}" || "$READER" == null ]]; then
    fail "created a writer and a reader token for my-bucket"
    finish
fi
pass "influx-authz up on $AUTHZ, tokens for bucket $BUCKET_ID created"

# --- nginx: the compose profile's template, plus a dummy upstream ---------------------------------
mkdir -p "$WORK/conf" "$WORK/tmp"
GUARD_LISTEN="127.0.0.1:$GUARD_PORT" \
GUARD_UPSTREAM="http://127.0.0.1:$UPSTREAM_PORT" \
GUARD_INFLUX_AUTHZ="$AUTHZ" \
GUARD_PERMISSION="write:orgs/$ORG_ID/buckets/$BUCKET_ID" \
    envsubst '${GUARD_LISTEN} ${GUARD_UPSTREAM} ${GUARD_INFLUX_AUTHZ} ${GUARD_PERMISSION}' \
    <"$TEMPLATE" >"$WORK/conf/guard.conf"
cat >"$WORK/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log info;
events { worker_connections 64; }
http {
    access_log $WORK/nginx-access.log;
    client_body_temp_path $WORK/tmp/body;
    proxy_temp_path $WORK/tmp/proxy;
    fastcgi_temp_path $WORK/tmp/fastcgi;
    uwsgi_temp_path $WORK/tmp/uwsgi;
    scgi_temp_path $WORK/tmp/scgi;
    include $WORK/conf/guard.conf;
    # The guarded service: says who nginx let in.
    server {
        listen 127.0.0.1:$UPSTREAM_PORT;
        location / {
            default_type text/plain;
            return 200 "guarded upstream: user=\$http_x_influx_authz_user org=\$http_x_influx_authz_org_id\n";
        }
    }
}
CONF
nginx_run() { "$NGINX" -p "$WORK" -e "$WORK/nginx-error.log" -c "$WORK/nginx.conf" "$@"; }
if ! nginx_run -t >"$WORK/nginx-test.log" 2>&1; then
    fail "nginx accepts the rendered guard.conf.template"
    cat "$WORK/nginx-test.log"
    finish
fi
pass "nginx accepts the rendered guard.conf.template"
# Started directly (not through nginx_run), so that $! is nginx's master process itself and cleanup stops it.
"$NGINX" -p "$WORK" -e "$WORK/nginx-error.log" -c "$WORK/nginx.conf" -g 'daemon off;' >"$WORK/nginx.out" 2>&1 &
NGINX_PID=$!
up=0
for _ in $(seq 1 100); do
    kill -0 "$NGINX_PID" 2>/dev/null || break
    if curl -s -o /dev/null "$GUARD/"; then up=1; break; fi
    sleep 0.1
done
if ((up == 0)); then
    fail "nginx listens on $GUARD"
    cat "$WORK/nginx.out" "$WORK/nginx-error.log" 2>/dev/null | tail -n 20
    finish
fi
pass "nginx guards $GUARD"

# --- the checks ---------------------------------------------------------------------------------
# expect NAME STATUS BODY_SUBSTRING CURL_ARGS...: one request through nginx.
expect() {
    local name="$1" want="$2" text="$3" status body
    shift 3
    status="$(curl -s -o "$WORK/answer" -w '%{http_code}' "$@")"
    body="$(cat "$WORK/answer")"
    if [[ "$status" == "$want" && "$body" == *"$text"* ]]; then
        pass "$name: $status"
    else
        fail "$name: want $want with '$text', got $status: $(head -c 200 "$WORK/answer")"
    fi
}
WRITE="$GUARD/write?bucket=$BUCKET_ID"
expect "writer token (Token) reaches the upstream, named" 200 "guarded upstream: user=admin org=$ORG_ID" \
    -H "Authorization: Token $WRITER" "$WRITE"
expect "writer token (Bearer)" 200 "guarded upstream" -H "Authorization: Bearer $WRITER" -X POST "$WRITE"
expect "writer token (Basic)" 200 "guarded upstream" -u "anyone:$WRITER" "$WRITE"
expect "writer token (?u=&p=, via X-Original-URI)" 200 "guarded upstream" "$WRITE&u=anyone&p=$WRITER"
expect "operator token" 200 "guarded upstream: user=admin" -H "Authorization: Token $OPERATOR_TOKEN" "$WRITE"
expect "no token" 401 "" "$WRITE"
expect "unknown token" 401 "" -H "Authorization: Token not-a-token" "$WRITE"
expect "reader token (no write permission)" 403 "" -H "Authorization: Token $READER" "$WRITE"
expect "reader token naming its own permission header" 403 "" -H "Authorization: Token $READER" \
    -H "X-Influx-Authz-Permission: read:orgs/$ORG_ID/buckets/$BUCKET_ID" "$WRITE"
status="$(api -o /dev/null -w '%{http_code}' -X DELETE "$AUTHZ/api/v2/authorizations/$WRITER_ID")"
if [[ "$status" == "204" ]]; then pass "writer token deleted: 204"; else fail "writer token deleted: got $status"; fi
expect "deleted writer token, next request" 401 "" -H "Authorization: Token $WRITER" "$WRITE"

# --- v1 credentials (a user name and password of a v1 authorization) --------------------------------
V1_USER="proxy-v1-user"
V1_PASSWORD="proxy-v1-password"
V1_ID="$(api -X POST "$AUTHZ/private/legacy/authorizations" --data-binary "{\"token\":\"$V1_USER\",
    \"orgID\":\"$ORG_ID\",\"permissions\":[
    {\"action\":\"write\",\"resource\":{\"type\":\"buckets\",\"id\":\"$BUCKET_ID\",\"orgID\":\"$ORG_ID\"}}]}" |
    jq -r '.id')"
if [[ "$V1_ID" =~ ^[0-9a-f]{16}$ ]]; then pass "v1 authorization $V1_ID created"; else fail "v1 authorization created"; fi
status="$(api -o /dev/null -w '%{http_code}' -X POST "$AUTHZ/private/legacy/authorizations/$V1_ID/password" \
    --data-binary "{\"password\":\"$V1_PASSWORD\"}")"
if [[ "$status" == "204" ]]; then pass "v1 password set: 204"; else fail "v1 password set: got $status"; fi
v1_status() { # STATUS -> PATCH the v1 authorization's status, expecting 200
    local got
    got="$(api -o /dev/null -w '%{http_code}' -X PATCH "$AUTHZ/private/legacy/authorizations/$V1_ID" \
        --data-binary "{\"status\":\"$1\"}")"
    if [[ "$got" == "200" ]]; then pass "v1 authorization set $1: 200"; else fail "v1 authorization set $1: got $got"; fi
}
V1_WRITE="$WRITE&u=$V1_USER&p=$V1_PASSWORD"
expect "v1 user (?u=&p=, via X-Original-URI) reaches the upstream, named" 200 \
    "guarded upstream: user=admin org=$ORG_ID" "$V1_WRITE"
expect "v1 user (Basic)" 200 "guarded upstream: user=admin" -u "$V1_USER:$V1_PASSWORD" "$WRITE"
expect "v1 user, wrong password (?u=&p=)" 401 "" "$WRITE&u=$V1_USER&p=not-the-password"
expect "v1 user, wrong password (Basic)" 401 "" -u "$V1_USER:not-the-password" "$WRITE"
expect "v1 user with a v2 token as its password (no fallback for a v1 name)" 401 "" \
    "$WRITE&u=$V1_USER&p=$OPERATOR_TOKEN"
v1_status inactive
expect "inactive v1 user, next request" 401 "" "$V1_WRITE"
expect "inactive v1 user, next request (Basic)" 401 "" -u "$V1_USER:$V1_PASSWORD" "$WRITE"
v1_status active
expect "reactivated v1 user, next request" 200 "guarded upstream: user=admin" "$V1_WRITE"
status="$(api -o /dev/null -w '%{http_code}' -X DELETE "$AUTHZ/private/legacy/authorizations/$V1_ID")"
if [[ "$status" == "204" ]]; then pass "v1 authorization deleted: 204"; else fail "v1 authorization deleted: got $status"; fi
expect "deleted v1 user, next request" 401 "" "$V1_WRITE"
expect "deleted v1 user, next request (Basic)" 401 "" -u "$V1_USER:$V1_PASSWORD" "$WRITE"

if ((FAILED > 0)); then
    # The request lines in nginx's log carry ?p=: never print a password.
    echo "--- nginx error log (tail)"; tail -n 20 "$WORK/nginx-error.log" 2>/dev/null | sed -E 's/([?&]p=)[^& "]*/\1***/g'
    echo "--- influx-authz log (tail)"; tail -n 20 "$WORK/server.log"
fi
finish

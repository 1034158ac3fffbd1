#!/usr/bin/env bash
# Runs InfluxDB's API-token docs examples (examples/*.sh: curl + jq, unchanged except for host,
# token and ID placeholders) against a fresh influx-authz, and checks each result: HTTP statuses,
# jq-extracted fields, and what the next request with an affected token gets. Then the docs' `influx v1 auth`
# examples (examples/2*-v1-auth-*.sh, `influx` -> `influx-authz`: the CLI is the same binary, put on PATH as
# `influx-authz`), checking the tables they print, the server's state, and whether the v1 credentials pass the
# check endpoint (`/api/v2/authz/check?permission=…&u=…&p=…`) after each change.
#
#   INFLUX_AUTHZ_BIN  server binary (default: <repo>/target/debug/influx-authz, built if missing)
#   KEEP_DOCS_WORK=1  keep the work dir (server log, each example's stdout/stderr)
#
# Needs curl, jq, python3 (for a free port) and script (util-linux/bsdutils: a terminal for the password
# prompts). Last line: "N passed, N failed"; exit 1 on failure.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
BIN="${INFLUX_AUTHZ_BIN:-$repo/target/debug/influx-authz}"

for tool in curl jq python3 xargs script; do
  if ! command -v "$tool" >/dev/null; then
    echo "run.sh: '$tool' is required (apt-get install -y $tool)" >&2
    echo "0 passed, 1 failed"
    exit 2
  fi
done
if [ ! -x "$BIN" ]; then
  echo "run.sh: building influx-authz ($BIN not found)" >&2
  if ! (cd "$repo" && cargo build --quiet --bin influx-authz) || [ ! -x "$BIN" ]; then
    echo "run.sh: no server binary at $BIN" >&2
    echo "0 passed, 1 failed"
    exit 2
  fi
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/influx-authz-docs.XXXXXX")"
mkdir -p "$work/cwd" "$work/curlhome" "$work/bin"
# The examples' `influx-authz` is the server binary (the CLI is the same binary).
ln -s "$BIN" "$work/bin/influx-authz"
server_pid=""
passed=0
failed=0

cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  if [ -n "${KEEP_DOCS_WORK:-}" ]; then
    echo "work dir kept: $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# Every curl an example runs reads this file (CURL_HOME): it silences the progress meter and
# reports "HTTP <status> <method> <url>" on stderr, so statuses are known without editing examples.
cat >"$work/curlhome/.curlrc" <<'EOF'
silent
show-error
write-out = "%{stderr}HTTP %{http_code} %{method} %{url_effective}\n"
EOF

# --- reporting -----------------------------------------------------------------------------------

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() {
  failed=$((failed + 1))
  echo "FAIL $1"
  if [ -n "${2:-}" ]; then printf '%s\n' "$2" | head -n 30 | sed 's/^/       /'; fi
}
# expect DESC ACTUAL EXPECTED
expect() {
  if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "expected: $3
     got: $2"; fi
}
# expect_match DESC ACTUAL ERE
expect_match() {
  if [[ "$2" =~ $3 ]]; then ok "$1"; else bad "$1" "expected to match: $3
     got: $2"; fi
}
# jqs FILTER: run jq on the last example's stdout (slurped, so several documents are .[0], .[1]);
# jqb FILTER: run jq on the runner's last api response
jqs() { printf '%s' "$EX_OUT" | jq -r -s "$1" 2>&1; }
jqb() { printf '%s' "$API_BODY" | jq -r "$1" 2>&1; }

# --- the runner's own requests (not examples) ----------------------------------------------------

API_STATUS=""
API_BODY=""
# api METHOD PATH TOKEN [BODY] [SCHEME]
api() {
  local args=(-q -s -S -o "$work/api.body" -w '%{http_code}' -X "$1" "$INFLUX_HOST$2"
              -H 'Content-Type: application/json')
  if [ -n "$3" ]; then args+=(-H "Authorization: ${5:-Token} $3"); fi
  if [ -n "${4:-}" ]; then args+=(--data "$4"); fi
  API_STATUS="$(curl "${args[@]}" 2>"$work/api.err")"
  API_BODY="$(cat "$work/api.body" 2>/dev/null)"
}

# --- examples ------------------------------------------------------------------------------------

EX_RC=0
EX_OUT=""
EX_STATUS=""
# The environment of every example: the runner's curl settings, `influx-authz` on PATH, INFLUX_HOST (exported
# below) and none of the caller's other influx CLI settings (no configs file, no INFLUX_TOKEN, INFLUX_ORG, …).
example_env() {
  export CURL_HOME="$work/curlhome" PATH="$work/bin:$PATH" HOME="$work/cwd" INFLUX_CONFIGS_PATH="$work/no-configs"
  unset INFLUX_TOKEN INFLUX_ORG INFLUX_ORG_ID INFLUX_ACTIVE_CONFIG INFLUX_OUTPUT_JSON INFLUX_HIDE_HEADERS \
    INFLUX_SKIP_VERIFY INFLUX_CLI_CONFIGS_PATH
}
# run_example NAME [ARGS...]: stdout -> EX_OUT, the statuses of its curls in order -> EX_STATUS
run_example() {
  local name="$1"
  shift
  echo "---- examples/$name.sh $*"
  (cd "$work/cwd" && example_env && bash "$here/examples/$name.sh" "$@") \
    >"$work/$name.out" 2>"$work/$name.err"
  EX_RC=$?
  EX_OUT="$(cat "$work/$name.out")"
  EX_STATUS="$(grep -E '^HTTP [0-9]{3} ' "$work/$name.err" | awk '{print $2}' | paste -sd' ' -)"
  if [ "$EX_RC" -ne 0 ]; then
    bad "$name exits 0" "exit $EX_RC; stderr:
$(grep -v '^[<>*{}]' "$work/$name.err" | head -n 15)"
  fi
}

# run_example_typed NAME PASSWORD: run_example in a terminal (script), with PASSWORD typed twice at the prompts;
# EX_OUT is the screen (prompts and what the command printed), without carriage returns or the typed lines.
run_example_typed() {
  local name="$1" password="$2"
  echo "---- examples/$name.sh (password typed at the prompts)"
  (cd "$work/cwd" && example_env && printf '%s\n%s\n' "$password" "$password" \
    | script -qec "bash '$here/examples/$name.sh'" /dev/null) >"$work/$name.screen" 2>"$work/$name.err"
  EX_RC=$?
  EX_OUT="$(tr -d '\r' <"$work/$name.screen" | grep -vxF -- "$password")"
  EX_STATUS=""
  if [ "$EX_RC" -ne 0 ]; then
    bad "$name exits 0" "exit $EX_RC; screen:
$EX_OUT"
  fi
}
# cells TEXT: an influx table with each run of tabs shown as one space (empty cells vanish)
cells() { printf '%s\n' "$1" | tr -s '\t' ' '; }
# v1_check USER PASSWORD PERMISSION: the check endpoint's status for v1 credentials in the query (?u=&p=)
v1_check() {
  api GET "/api/v2/authz/check?permission=$3&u=$1&p=$2" ""
  printf '%s' "$API_STATUS"
}

# --- start the server ----------------------------------------------------------------------------

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
export INFLUX_HOST="http://127.0.0.1:$port"
env -u DOCKER_INFLUXDB_INIT_MODE -u INFLUXD_USE_HASHED_TOKENS -u INFLUX_AUTHZ_DB_PATH \
  "$BIN" serve --http-bind-address "127.0.0.1:$port" --db-path "$work/influx-authz.redb" \
  >"$work/server.log" 2>&1 &
server_pid=$!
up=""
for _ in $(seq 1 300); do
  if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  if [ "$(curl -q -s -o /dev/null -w '%{http_code}' "$INFLUX_HOST/health")" = "200" ]; then up=1; break; fi
  sleep 0.1
done
if [ -z "$up" ]; then
  bad "server answers GET /health" "$(tail -n 20 "$work/server.log")"
  echo "$passed passed, $failed failed"
  exit 1
fi
ok "server answers GET /health on $INFLUX_HOST"

# --- onboarding, user2 and user2's token (runner, with the operator token) ------------------------

api GET /api/v2/setup ""
expect "GET /api/v2/setup allows setup" "$API_STATUS $(jqb .allowed)" "200 true"
api POST /api/v2/setup "" '{"username":"admin","password":"admin-password-1","org":"my-org","bucket":"my-bucket"}'
expect "POST /api/v2/setup is 201" "$API_STATUS" "201"
OP_TOKEN="$(jqb .auth.token)"
ORG_ID="$(jqb .org.id)"
BUCKET_ID="$(jqb .bucket.id)"
ADMIN_ID="$(jqb .user.id)"
OP_AUTH_ID="$(jqb .auth.id)"
expect_match "setup returns the operator token" "$OP_TOKEN" '^[A-Za-z0-9_-]{86}==$'

api POST /api/v2/users "$OP_TOKEN" '{"name":"user2"}'
expect "POST /api/v2/users creates user2" "$API_STATUS $(jqb .name)" "201 user2"
USER2_ID="$(jqb .id)"
api POST /api/v2/authorizations "$OP_TOKEN" '{"orgID":"'"$ORG_ID"'","userID":"'"$USER2_ID"'","description":"user2 write token","permissions":[{"action":"write","resource":{"type":"buckets","id":"'"$BUCKET_ID"'","orgID":"'"$ORG_ID"'"}},{"action":"read","resource":{"type":"users","id":"'"$USER2_ID"'"}}]}'
expect "a token for user2 is created" "$API_STATUS $(jqb .userID) $(jqb .user)" "201 $USER2_ID user2"
U2_TOKEN="$(jqb .token)"
U2_AUTH_ID="$(jqb .id)"
api GET /api/v2/me "$U2_TOKEN"
expect "user2's token authenticates (GET /api/v2/me)" "$API_STATUS $(jqb .name)" "200 user2"

export DOCS_OP_TOKEN="$OP_TOKEN" DOCS_ORG_ID="$ORG_ID" DOCS_BUCKET_ID="$BUCKET_ID"

# --- create ----------------------------------------------------------------------------------------

run_example 01-token-create
expect "01 POST /api/v2/authorizations is 201" "$EX_STATUS" "201"
expect "01 status, description, orgID, org" \
  "$(jqs '.[0] | [.status, .description, .orgID, .org] | join(" ")')" "active iot-center-device $ORG_ID my-org"
expect "01 owner defaults to the caller (admin)" "$(jqs '.[0] | [.userID, .user] | join(" ")')" "$ADMIN_ID admin"
expect "01 permissions as sent (resource.name is ignored)" \
  "$(jqs '.[0].permissions | map([.action, .resource.type, (.resource.id // "-"), (.resource.orgID // "-"), (.resource.name // "-")] | join(":")) | join(" ")')" \
  "read:authorizations:-:-:- read:buckets:-:-:- write:buckets:-:-:-"
T01_ID="$(jqs '.[0].id')"
T01_TOKEN="$(jqs '.[0].token')"
expect_match "01 id is 16 hex" "$T01_ID" '^[0-9a-f]{16}$'
expect_match "01 token is returned in plaintext, 88 chars" "$T01_TOKEN" '^[A-Za-z0-9_-]{86}==$'
expect "01 links" "$(jqs '.[0].links | "\(.self) \(.user)"')" "/api/v2/authorizations/$T01_ID /api/v2/users/$ADMIN_ID"
expect_match "01 createdAt is RFC3339" "$(jqs '.[0].createdAt')" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2})$'
api GET /api/v2/authorizations "$T01_TOKEN"
expect "01 the new token is accepted (GET /api/v2/authorizations)" "$API_STATUS" "200"

run_example 02-token-create-bucket-scoped
expect "02 POST /api/v2/authorizations is 201" "$EX_STATUS" "201"
expect "02 bucket-scoped write carries the bucket id, name and org" \
  "$(jqs '.[0].permissions[2] | [.action, .resource.type, .resource.id, .resource.orgID, .resource.name, .resource.org] | join(" ")')" \
  "write buckets $BUCKET_ID $ORG_ID my-bucket my-org"
expect "02 org-scoped reads carry orgID and org name" \
  "$(jqs '.[0].permissions[0:2] | map([.action, .resource.type, .resource.orgID, .resource.org] | join(":")) | join(" ")')" \
  "read:authorizations:$ORG_ID:my-org read:buckets:$ORG_ID:my-org"
T02_ID="$(jqs '.[0].id')"

run_example 03-tokens-create-with-user
expect "03 POST users/ (trailing slash), GET users?name=, POST authorizations" "$EX_STATUS" "201 200 201"
IOT_USER_ID="$(printf '%s\n' "$EX_OUT" | sed '$d' | jq -r .id 2>&1)"
expect "03 the created user is iot_user_1" "$(printf '%s\n' "$EX_OUT" | sed '$d' | jq -r .name 2>&1)" "iot_user_1"
IOT_TOKEN="$(printf '%s\n' "$EX_OUT" | tail -n 1)"
expect_match "03 prints the new token (jq '.token')" "$IOT_TOKEN" '^"[A-Za-z0-9_-]{86}=="$'
IOT_TOKEN="${IOT_TOKEN//\"/}"
api GET "/api/v2/buckets?name=my-bucket" "$IOT_TOKEN"
expect "03 the token reads buckets" "$API_STATUS $(jqb '[.buckets[].name] | join(",")')" "200 my-bucket"
api GET "/api/v2/authorizations?userID=$IOT_USER_ID" "$OP_TOKEN"
expect "03 the token belongs to iot_user_1, description = user name" \
  "$(jqb '.authorizations | map("\(.user):\(.description)") | join(" ")')" "iot_user_1:iot_user_1"

# --- view ------------------------------------------------------------------------------------------

run_example 04-tokens-view
expect "04 GET /api/v2/authorizations is 200" "$EX_STATUS" "200"
expect "04 links.self" "$(jqs '.[0].links.self')" "/api/v2/authorizations"
expect "04 lists every token (operator)" \
  "$(jqs '.[0].authorizations | length')" "5"
for id in "$OP_AUTH_ID" "$U2_AUTH_ID" "$T01_ID" "$T02_ID"; do
  expect "04 includes $id" "$(jqs "[.[0].authorizations[].id] | index(\"$id\") != null")" "true"
done
expect "04 hashed tokens (default): every listed token is \"\"" \
  "$(jqs '[.[0].authorizations[].token] | unique | join(",")')" ""

DOCS_AUTH_ID="$T02_ID" run_example 05-token-view-single
expect "05 GET /api/v2/authorizations/{id} is 200" "$EX_STATUS" "200"
expect "05 returns that token" "$(jqs '.[0] | "\(.id) \(.description) \(.status)"')" "$T02_ID iot-center-device active"

run_example 06-tokens-view-filter user2
expect "06 users/?name= and authorizations/?userID= (trailing slashes) are 200" "$EX_STATUS" "200 200"
expect "06 user2's active write token is listed" "$(jqs 'map(.id) | unique | join(",")')" "$U2_AUTH_ID"
run_example 06-tokens-view-filter
expect "06 (as in the docs, iot_user_1) both requests are 200" "$EX_STATUS" "200 200"
expect "06 iot_user_1 has no write token: empty output" "$EX_OUT" ""

DOCS_USER_ID="$USER2_ID" run_example 07-tokens-view-by-user-id
expect "07 ?userID= and /?userID= are 200" "$EX_STATUS" "200 200"
expect "07 both list exactly user2's token" \
  "$(jqs 'map([.authorizations[].id] | join(",")) | join(" ")')" "$U2_AUTH_ID $U2_AUTH_ID"

run_example 08-users-view
expect "08 GET /api/v2/users/ is 200" "$EX_STATUS" "200"
expect "08 lists admin, iot_user_1, user2" "$(jqs '[.[0].users[].name] | sort | join(",")')" "admin,iot_user_1,user2"
expect "08 links.self" "$(jqs '.[0].links.self')" "/api/v2/users"

# --- update ----------------------------------------------------------------------------------------

api GET "/api/v2/authorizations?user=user2" "$OP_TOKEN"
expect "?user=user2 lists user2's token first" "$API_STATUS $(jqb '.authorizations[0].id')" "200 $U2_AUTH_ID"

run_example 09-token-update-disable
expect "09 GET ?user=user2 then PATCH are 200" "$EX_STATUS" "200 200"
expect "09 PATCH returns the new state" "$(jqs '.[0] | "\(.id) \(.status) \(.description)"')" \
  "$U2_AUTH_ID inactive deactivated_auth"
api GET /api/v2/me "$U2_TOKEN"
expect "09 the disabled token is refused on the next request" "$API_STATUS $(jqb .message)" "401 token is inactive"

run_example 10-token-update-description
expect "10 description-only PATCH is 200" "$EX_STATUS" "200 200"
expect "10 status stays inactive, description changes" "$(jqs '.[0] | "\(.status) \(.description)"')" \
  "inactive renamed_while_inactive"
api GET /api/v2/me "$U2_TOKEN"
expect "10 the token is still refused" "$API_STATUS" "401"

run_example 11-token-update-enable
expect "11 GET then PATCH are 200" "$EX_STATUS" "200 200"
expect "11 status active again" "$(jqs '.[0] | "\(.status) \(.description)"')" "active reactivated_auth"
api GET /api/v2/me "$U2_TOKEN"
expect "11 the re-enabled token works on the next request" "$API_STATUS $(jqb .name)" "200 user2"

# --- delete ----------------------------------------------------------------------------------------

run_example 12-token-delete
expect "12 GET ?user=user2 is 200, DELETE is 204" "$EX_STATUS" "200 204"
expect "12 DELETE prints nothing" "$EX_OUT" ""
api GET /api/v2/me "$U2_TOKEN"
expect "12 the deleted token gets 401 on the next request" "$API_STATUS $(jqb .message)" "401 unauthorized access"
api GET "/api/v2/authorizations/$U2_AUTH_ID" "$OP_TOKEN"
expect "12 the deleted id is 404" "$API_STATUS $(jqb .message)" "404 authorization not found"
api GET "/api/v2/authorizations?user=user2" "$OP_TOKEN"
expect "12 user2 has no tokens left" "$API_STATUS $(jqb '.authorizations | length')" "200 0"
api DELETE "/api/v2/authorizations/$U2_AUTH_ID" "$OP_TOKEN"
expect "12 a second DELETE is 404" "$API_STATUS" "404"
api GET /api/v2/authorizations "$OP_TOKEN"
expect "12 the operator token still works" "$API_STATUS $(jqb '[.authorizations[].id] | index("'"$U2_AUTH_ID"'")')" "200 null"

# --- authenticate ----------------------------------------------------------------------------------

run_example 13-token-auth
expect "13 GET /api/v2 with a token is 200" "$EX_STATUS" "200"
expect "13 links include authorizations" "$(jqs '.[0].authorizations')" "/api/v2/authorizations"
api GET /api/v2/authorizations "$OP_TOKEN" "" Bearer
expect "Bearer scheme (create-token.md) is accepted" "$API_STATUS" "200"

# --- v1 authorizations: `influx v1 auth` (influx-authz v1 auth) ----------------------------------------------

api POST /api/v2/buckets "$OP_TOKEN" '{"orgID":"'"$ORG_ID"'","name":"my-bucket-2"}'
expect "a second bucket for the docs' 00xX00o0X002" "$API_STATUS $(jqb .name)" "201 my-bucket-2"
BUCKET2_ID="$(jqb .id)"
export DOCS_ORG="my-org" DOCS_BUCKET2_ID="$BUCKET2_ID" DOCS_USER="admin" DOCS_USER_ID="$ADMIN_ID"
V1_PASSWORD="first-v1-password"
READ_B1="read:orgs/$ORG_ID/buckets/$BUCKET_ID"
READ_B2="read:orgs/$ORG_ID/buckets/$BUCKET2_ID"
WRITE_B1="write:orgs/$ORG_ID/buckets/$BUCKET_ID"
WRITE_B2="write:orgs/$ORG_ID/buckets/$BUCKET2_ID"
V1_PERMS="[$READ_B1 $READ_B2 $WRITE_B1]"
V1_HEADER="ID Description Username v2 User Name v2 User ID Permissions"

run_example_typed 20-v1-auth-create "$V1_PASSWORD"
expect_match "20 asks for the password, then again" "$EX_OUT" 'Please type your password: .*Please type your password again: '
api GET "/private/legacy/authorizations?token=example-user" "$OP_TOKEN"
expect "20 the server holds one v1 authorization for example-user" \
  "$API_STATUS $(jqb '.authorizations | length') $(jqb '.authorizations[0] | "\(.token) \(.status) \(.userID) \(.orgID)"')" \
  "200 1 example-user active $ADMIN_ID $ORG_ID"
V1_ID="$(jqb '.authorizations[0].id')"
expect "20 prints influx's v1 table: the username, its v2 owner and the permissions" \
  "$(cells "$EX_OUT" | grep -A1 -xF "$V1_HEADER" | tail -n 1)" "$V1_ID example-user admin $ADMIN_ID $V1_PERMS"
expect "20 the password works for what was granted (?u=&p=)" \
  "$(v1_check example-user "$V1_PASSWORD" "$READ_B1") $(v1_check example-user "$V1_PASSWORD" "$READ_B2") $(v1_check example-user "$V1_PASSWORD" "$WRITE_B1")" \
  "204 204 204"
expect "20 not for what was not (403), nor with a wrong password (401)" \
  "$(v1_check example-user "$V1_PASSWORD" "$WRITE_B2") $(v1_check example-user wrong-password "$READ_B1")" "403 401"
api GET "/api/v2/authz/check?permission=$READ_B1" "$(printf '%s' "example-user:$V1_PASSWORD" | base64)" "" Basic
expect "20 Basic credentials work too" "$API_STATUS" "204"
api GET /api/v2/authorizations "$OP_TOKEN"
expect "20 v2 token lists never show the v1 authorization" \
  "$API_STATUS $(jqb '[.authorizations[].id] | index("'"$V1_ID"'")')" "200 null"
export DOCS_V1_AUTH_ID="$V1_ID"

run_example 21-v1-auth-list
expect "21 lists only the v1 authorization, in influx's table" "$(cells "$EX_OUT")" \
  "$V1_HEADER
$V1_ID example-user admin $ADMIN_ID $V1_PERMS"
run_example 22-v1-auth-list-by-user
expect "22 --user admin finds it" "$(cells "$EX_OUT" | sed 1d)" "$V1_ID example-user admin $ADMIN_ID $V1_PERMS"
run_example 23-v1-auth-list-by-user-id
expect "23 --user-id finds it" "$(cells "$EX_OUT" | sed 1d)" "$V1_ID example-user admin $ADMIN_ID $V1_PERMS"
run_example 24-v1-auth-list-by-id
expect "24 --id finds it" "$(cells "$EX_OUT" | sed 1d)" "$V1_ID example-user admin $ADMIN_ID $V1_PERMS"

run_example 25-v1-auth-set-inactive
expect "25 prints the authorization" "$(cells "$EX_OUT" | sed 1d)" "$V1_ID example-user admin $ADMIN_ID $V1_PERMS"
api GET "/private/legacy/authorizations/$V1_ID" "$OP_TOKEN"
expect "25 the server has it inactive" "$API_STATUS $(jqb .status)" "200 inactive"
api GET "/api/v2/authz/check?permission=$READ_B1&u=example-user&p=$V1_PASSWORD" ""
expect "25 the credentials are refused on the next request" "$API_STATUS $(jqb .message)" "401 Unauthorized"

run_example 26-v1-auth-set-active
api GET "/private/legacy/authorizations/$V1_ID" "$OP_TOKEN"
expect "26 the server has it active again" "$API_STATUS $(jqb .status)" "200 active"
expect "26 the credentials work again" "$(v1_check example-user "$V1_PASSWORD" "$READ_B1")" "204"

run_example 27-v1-auth-set-password
expect "27 prints nothing, as influx" "$EX_OUT" ""
expect "27 the old password is refused, the docs' new one works" \
  "$(v1_check example-user "$V1_PASSWORD" "$READ_B1") $(v1_check example-user ExAmPl3PA55W0rD "$READ_B1")" "401 204"

run_example 28-v1-auth-delete
expect "28 prints the deleted authorization with Deleted true" "$(cells "$EX_OUT")" \
  "$V1_HEADER Deleted
$V1_ID example-user admin $ADMIN_ID $V1_PERMS true"
expect "28 the credentials are refused on the next request" "$(v1_check example-user ExAmPl3PA55W0rD "$READ_B1")" "401"
api GET "/private/legacy/authorizations/$V1_ID" "$OP_TOKEN"
expect "28 the deleted id is 404" "$API_STATUS $(jqb .message)" "404 authorization not found"
api DELETE "/private/legacy/authorizations/$V1_ID" "$OP_TOKEN"
expect "28 a second DELETE is 404" "$API_STATUS" "404"

V1_PASSWORD2="second-v1-password"
run_example_typed 29-v1-auth-create-upgrade "$V1_PASSWORD2"
api GET "/private/legacy/authorizations?token=example-user" "$OP_TOKEN"
V1_ID2="$(jqb '.authorizations[0].id')"
expect "29 the freed username is taken again, by a new authorization" \
  "$API_STATUS $(jqb '.authorizations | length') $([ "$V1_ID2" != "$V1_ID" ] && echo new)" "200 1 new"
expect "29 read and write on both buckets, in the flags' order" \
  "$(cells "$EX_OUT" | grep -A1 -xF "$V1_HEADER" | tail -n 1)" \
  "$V1_ID2 example-user admin $ADMIN_ID [$READ_B1 $READ_B2 $WRITE_B1 $WRITE_B2]"
expect "29 the new password works, the deleted authorization's does not" \
  "$(v1_check example-user "$V1_PASSWORD2" "$WRITE_B2") $(v1_check example-user ExAmPl3PA55W0rD "$WRITE_B2")" "204 401"
api GET /api/v2/authorizations "$OP_TOKEN"
expect "the operator token still works after the v1 flows" "$API_STATUS" "200"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

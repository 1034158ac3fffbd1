# docs: admin/tokens/create-token.md, "Create a token scoped to a user"
#       (shared/text/api/v2.0/auth/oss/tokens-create-with-user.sh). Host, token and org ID substituted.
INFLUX_TOKEN=${DOCS_OP_TOKEN}

function create_token_with_user() {
  curl --request POST \
    "${INFLUX_HOST}/api/v2/users/" \
    --header "Authorization: Token ${INFLUX_TOKEN}" \
    --header 'Content-type: application/json' \
    --data "{\"name\": \"$1\"}"

  curl --request GET \
    "${INFLUX_HOST}/api/v2/users?name=$1" \
    --header "Authorization: Token ${INFLUX_TOKEN}" \
    --header 'Content-type: application/json' | \

  jq --arg USER $1 '.users[0] // error("User missing")
    | {
        "orgID": "'"${DOCS_ORG_ID}"'",
        "userID": .id,
        "description": $USER,
        "permissions": [
           {"action": "read", "resource": {"type": "buckets"}}
         ]
      }' | \

  curl --request POST \
    "${INFLUX_HOST}/api/v2/authorizations" \
    --header "Authorization: Token ${INFLUX_TOKEN}" \
    --header 'Content-type: application/json' \
    --data @- | \

  jq '.token'
}

create_token_with_user 'iot_user_1'

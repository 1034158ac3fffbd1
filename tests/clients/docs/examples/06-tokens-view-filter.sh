# docs: admin/tokens/view-tokens.md, "Filter the token list"
#       (shared/text/api/v2.0/auth/oss/tokens-view-filter.sh). Host and token substituted; the
#       user name comes from the first argument (the docs call it with 'iot_user_1').
INFLUX_TOKEN=${DOCS_OP_TOKEN}

function list_write_auths() {
  curl "${INFLUX_HOST}/api/v2/users/?name=$1" \
    --header "Authorization: Token ${INFLUX_TOKEN}" \
    --header 'Content-type: application/json' | \

  jq --arg USER $1 '.users[] | select(.name == $USER) | .id' | \

  xargs -I '%' \
  curl "${INFLUX_HOST}/api/v2/authorizations/?userID=%" \
    --header "Authorization: Token ${INFLUX_TOKEN}" \
    --header 'Content-type: application/json' | \

  jq '.authorizations[]
        | select(.permissions[] | select(.action=="write"))
        | select(.status=="active")'
}

list_write_auths "${1:-iot_user_1}"

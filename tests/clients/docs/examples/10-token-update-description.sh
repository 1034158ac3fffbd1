# docs: update-tokens.md ("Description and/or Status"): the same flow with only a description.
INFLUX_TOKEN=${DOCS_OP_TOKEN}

curl --request GET \
  "${INFLUX_HOST}/api/v2/authorizations?user=user2" \
  --header "Authorization: Token ${INFLUX_TOKEN}" \
  --header 'Content-type: application/json' \
| jq .authorizations[0].id \
| xargs -I authid curl --request PATCH \
  ${INFLUX_HOST}/api/v2/authorizations/authid \
  --header "Authorization: Token ${INFLUX_TOKEN}" \
  --header 'Content-type: application/json' \
  --data '{
            "description": "renamed_while_inactive"
          }' | jq .

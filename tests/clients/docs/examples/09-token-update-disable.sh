# docs: admin/tokens/update-tokens.md, "Update a token using the InfluxDB API" > "Disable a token".
#       Host and token substituted.
INFLUX_TOKEN=${DOCS_OP_TOKEN}

# Update the description and status of the first authorization listed for the user.

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
            "description": "deactivated_auth",
            "status": "inactive"
          }' | jq .

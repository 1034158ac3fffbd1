# docs: admin/tokens/view-tokens.md, "View a single token": GET /api/v2/authorizations/{authID}.
INFLUX_TOKEN=${DOCS_OP_TOKEN}

curl --request GET \
  "${INFLUX_HOST}/api/v2/authorizations/${DOCS_AUTH_ID}" \
  --header "Authorization: Token ${INFLUX_TOKEN}" \
  --header 'Content-type: application/json'

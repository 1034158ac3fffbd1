# docs: admin/tokens/view-tokens.md: "To filter tokens by user, include `userID` as a query
#       parameter". Both spellings the docs use: without and with a trailing slash.
INFLUX_TOKEN=${DOCS_OP_TOKEN}

curl --request GET \
  "${INFLUX_HOST}/api/v2/authorizations?userID=${DOCS_USER_ID}" \
  --header "Authorization: Token ${INFLUX_TOKEN}" \
  --header 'Content-type: application/json'

curl --request GET \
  "${INFLUX_HOST}/api/v2/authorizations/?userID=${DOCS_USER_ID}" \
  --header "Authorization: Token ${INFLUX_TOKEN}" \
  --header 'Content-type: application/json'

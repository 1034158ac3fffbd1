# docs: the users list the token examples start from: GET /api/v2/users/ (trailing slash).
INFLUX_TOKEN=${DOCS_OP_TOKEN}

curl --request GET \
  "${INFLUX_HOST}/api/v2/users/" \
  --header "Authorization: Token ${INFLUX_TOKEN}" \
  --header 'Content-type: application/json'

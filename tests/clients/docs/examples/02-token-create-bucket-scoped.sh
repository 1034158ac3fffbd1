# docs: the same create-token request with org-scoped resources and a bucket-scoped write
#       (the form quoted in the contract, §1.7). Host, token, org and bucket IDs substituted.
INFLUX_ORG_ID=${DOCS_ORG_ID}
INFLUX_BUCKET_ID=${DOCS_BUCKET_ID}
INFLUX_API_TOKEN=${DOCS_OP_TOKEN}

curl --request POST \
  ${INFLUX_HOST}/api/v2/authorizations \
  --header "Authorization: Token ${INFLUX_API_TOKEN}" \
  --header 'Content-type: application/json' \
  --data '{
  "status": "active",
  "description": "iot-center-device",
  "orgID": "'"${INFLUX_ORG_ID}"'",
  "permissions": [
    {"action": "read", "resource": {"orgID": "'"${INFLUX_ORG_ID}"'", "type": "authorizations"}},
    {"action": "read", "resource": {"orgID": "'"${INFLUX_ORG_ID}"'", "type": "buckets"}},
    {"action": "write", "resource": {"orgID": "'"${INFLUX_ORG_ID}"'", "type": "buckets", "id": "'"${INFLUX_BUCKET_ID}"'"}}
  ]
}'

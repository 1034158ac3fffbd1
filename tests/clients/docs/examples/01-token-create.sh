# docs: admin/tokens/create-token.md, "Create a token using the InfluxDB API"
#       (shared/text/api/v2.0/auth/oss/token-create.sh). Host and token substituted.
INFLUX_ORG_ID=${DOCS_ORG_ID}
INFLUX_API_TOKEN=${DOCS_OP_TOKEN}

curl -v --request POST \
  ${INFLUX_HOST}/api/v2/authorizations \
  --header "Authorization: Token ${INFLUX_API_TOKEN}" \
  --header 'Content-type: application/json' \
  --data '{
  "status": "active",
  "description": "iot-center-device",
  "orgID": "'"${INFLUX_ORG_ID}"'",
  "permissions": [
    {
      "action": "read",
      "resource": {
        "type": "authorizations"
      }
    },
    {
      "action": "read",
      "resource": {
        "type": "buckets"
      }
    },
    {
      "action": "write",
      "resource": {
        "type": "buckets",
        "name": "iot-center"
      }
    }
  ]
}'

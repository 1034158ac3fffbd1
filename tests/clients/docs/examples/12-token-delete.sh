# docs: admin/tokens/delete-token.md, "Delete a token using the InfluxDB API", literally
#       (/work/shared/reference/000_3d880cfcd5752dbf.txt). Only the host placeholder
#       ({{< influxdb/host >}} -> ${INFLUX_HOST}, whose scheme is http here) and the token
#       placeholder (API_TOKEN -> ${API_TOKEN}) are substituted.
API_TOKEN=${DOCS_OP_TOKEN}

# Delete the first authorization listed for the user.
curl --request GET \
${INFLUX_HOST}/api/v2/authorizations?user=user2 \
--header "Authorization: Token ${API_TOKEN}" \
--header 'Content-type: application/json' \
| jq .authorizations[0].id \
| xargs -I authid curl --request DELETE \
${INFLUX_HOST}/api/v2/authorizations/authid \
--header "Authorization: Token ${API_TOKEN}" \
--header 'Content-type: application/json'

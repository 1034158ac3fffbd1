# docs: admin/tokens/view-tokens.md, "View tokens using the InfluxDB API"
#       (shared/text/api/v2.0/auth/oss/tokens-view.sh). Host and token substituted.
INFLUX_TOKEN=${DOCS_OP_TOKEN}

curl --request GET \
	"${INFLUX_HOST}/api/v2/authorizations" \
  --header "Authorization: Token ${INFLUX_TOKEN}" \
  --header 'Content-type: application/json'

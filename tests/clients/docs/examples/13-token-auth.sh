# docs: shared/text/api/v2.0/auth/oss/token-auth.sh: a token in the Authorization header.
#       Host and token substituted.
curl --get "${INFLUX_HOST}/api/v2" \
  --header "Authorization: Token ${DOCS_OP_TOKEN}" \
  --header 'Content-type: application/json' \
  --data-urlencode "db=mydb" \
  --data-urlencode "q=SELECT * FROM cpu_usage"

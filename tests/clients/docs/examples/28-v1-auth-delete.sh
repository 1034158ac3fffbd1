# docs: reference/cli/influx/v1/auth/delete.md, "Delete a v1 authorization".
#       `influx` -> `influx-authz`; 00xX00o0X001 -> ${DOCS_V1_AUTH_ID}.
export INFLUX_TOKEN=${DOCS_OP_TOKEN}

influx-authz v1 auth delete --id ${DOCS_V1_AUTH_ID}

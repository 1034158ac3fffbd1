# docs: reference/cli/influx/v1/auth/list.md, "List a specific v1 authorization by ID".
#       `influx` -> `influx-authz`; 00xX00o0X001 -> ${DOCS_V1_AUTH_ID}.
export INFLUX_TOKEN=${DOCS_OP_TOKEN}

influx-authz v1 auth list --id ${DOCS_V1_AUTH_ID}

# docs: reference/cli/influx/v1/auth/set-inactive.md, "Deactivate a v1 authorization".
#       `influx` -> `influx-authz`; 00xX00o0X001 -> ${DOCS_V1_AUTH_ID}.
export INFLUX_TOKEN=${DOCS_OP_TOKEN}

influx-authz v1 auth set-inactive --id ${DOCS_V1_AUTH_ID}

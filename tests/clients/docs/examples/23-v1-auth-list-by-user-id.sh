# docs: reference/cli/influx/v1/auth/list.md, "List v1 authorizations associated with a user ID".
#       `influx` -> `influx-authz`; 00xX00o0X001 -> ${DOCS_USER_ID}.
export INFLUX_TOKEN=${DOCS_OP_TOKEN}

influx-authz v1 auth list --user-id ${DOCS_USER_ID}

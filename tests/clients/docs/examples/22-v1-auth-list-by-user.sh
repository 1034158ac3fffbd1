# docs: reference/cli/influx/v1/auth/list.md, "List v1 authorizations associated with a username".
#       `influx` -> `influx-authz`; example-username -> ${DOCS_USER} (the v2 user that owns them).
export INFLUX_TOKEN=${DOCS_OP_TOKEN}

influx-authz v1 auth list --user ${DOCS_USER}

# docs: reference/cli/influx/v1/auth/list.md, "List all v1 authorizations". `influx` -> `influx-authz`; host and
#       token from the environment.
export INFLUX_TOKEN=${DOCS_OP_TOKEN}

influx-authz v1 auth list

# docs: reference/cli/influx/v1/auth/set-password.md, "Set a password for a v1 authorization".
#       `influx` -> `influx-authz`; 00xX00o0X001 -> ${DOCS_V1_AUTH_ID}; the password is the docs' own.
export INFLUX_TOKEN=${DOCS_OP_TOKEN}

influx-authz v1 auth set-password \
  --id ${DOCS_V1_AUTH_ID} \
  --password ExAmPl3PA55W0rD

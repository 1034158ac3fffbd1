# docs: reference/cli/influx/v1/auth/create.md, "Create a v1 authorization with read and write permissions".
#       `influx` -> `influx-authz` (same flags); the bucket IDs substituted (00xX00o0X001 -> ${DOCS_BUCKET_ID},
#       00xX00o0X002 -> ${DOCS_BUCKET2_ID}); host, org and token come from the environment, as the docs'
#       credentials note allows. The runner gives it a terminal and types the password at the prompts.
export INFLUX_TOKEN=${DOCS_OP_TOKEN}
export INFLUX_ORG=${DOCS_ORG}

# Create an authorization with read and write access to bucket 00xX00o0X001
# but only read access to bucket 00xX00o0X002
influx-authz v1 auth create \
  --read-bucket ${DOCS_BUCKET_ID} \
  --read-bucket ${DOCS_BUCKET2_ID} \
  --write-bucket ${DOCS_BUCKET_ID} \
  --username example-user

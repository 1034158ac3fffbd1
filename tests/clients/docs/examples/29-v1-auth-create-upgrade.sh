# docs: install/upgrade/v1-to-v2/manual-upgrade.md, "Create a 1.x-compatible authorization" > "Mutiple buckets".
#       `influx` -> `influx-authz`; 00xX00o0X001 -> ${DOCS_BUCKET_ID}, 00xX00o0X002 -> ${DOCS_BUCKET2_ID}; host, org
#       and token from the environment. "new v1 auth password (when prompted)": the runner gives it a terminal and
#       types the password.
export INFLUX_TOKEN=${DOCS_OP_TOKEN}
export INFLUX_ORG=${DOCS_ORG}

influx-authz v1 auth create \
  --read-bucket ${DOCS_BUCKET_ID} \
  --read-bucket ${DOCS_BUCKET2_ID} \
  --write-bucket ${DOCS_BUCKET_ID} \
  --write-bucket ${DOCS_BUCKET2_ID} \
  --username example-user

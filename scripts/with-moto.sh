#!/usr/bin/env bash
# Runs a command with a DynamoDB- and KMS-compatible server (moto) on 127.0.0.1: installs the
# pinned tools (scripts/tools.sh), starts moto on a free port, points the AWS SDK's standard
# variables at it (dummy credentials, us-east-1), runs the command, stops moto.
#
#   scripts/with-moto.sh cargo bench -p token-service --bench service
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/tools.sh"
source "$ROOT/scripts/servers.sh"

MOTO_PORT="$(free_port)"
MOTO_LOG="$ROOT/target/moto-server.log"
mkdir -p "$ROOT/target"
"$ROOT/.venv/bin/python" "$ROOT/scripts/moto_server.py" -H 127.0.0.1 -p "$MOTO_PORT" >"$MOTO_LOG" 2>&1 &
MOTO_PID=$!
stop_moto() { kill "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true; }
trap stop_moto EXIT

wait_until_answering "with-moto.sh: moto_server" "$MOTO_PID" "$MOTO_LOG" 60 \
  curl -fs --max-time 2 -o /dev/null "http://127.0.0.1:$MOTO_PORT/moto-api/"
echo "with-moto.sh: DynamoDB-compatible server (moto) on 127.0.0.1:$MOTO_PORT" >&2

# The command reaches DynamoDB and KMS only through the SDK's standard variables, as
# the functions do.
unset AWS_ENDPOINT_URL AWS_PROFILE AWS_SESSION_TOKEN
export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$MOTO_PORT"
export AWS_ENDPOINT_URL_KMS="http://127.0.0.1:$MOTO_PORT"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true

"$@"

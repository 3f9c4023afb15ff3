#!/usr/bin/env bash
# How many sequential AWS round trips each request waits for: `authctl serve` on DynamoDB and
# KMS (moto, 127.0.0.1), once directly and once behind a proxy that delays every answer from
# moto by DELAY ms; prints (p50 with - p50 without) / DELAY per request (scripts/round_trips.py
# says which). The debug build (the tests' own): optimisation changes the time between calls,
# not how many wait one after another.
#
#   scripts/round-trips.sh            # DELAY=50 ms, 15 runs
#   DELAY=20 RUNS=30 scripts/round-trips.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ "${1:-}" != "--inside" ]]; then
  cargo build -q --locked -p authctl
  exec "$ROOT/scripts/with-moto.sh" "$ROOT/scripts/round-trips.sh" --inside
fi

AUTHCTL="$ROOT/target/debug/authctl"
OUT="$ROOT/target/round-trips"
mkdir -p "$OUT"
RUN="rt-$$"
export USERS_TABLE="$RUN-users" TOKENS_TABLE="$RUN-tokens" KEYS_TABLE="$RUN-keys" \
  CLIENTS_TABLE="$RUN-clients"
"$AUTHCTL" table create >/dev/null
"$AUTHCTL" user seed-demo >/dev/null
# A KMS key (in moto) that signs at once.
"$AUTHCTL" key rotate --publish-lead 0 --tag round-trips \
  --token-role-arn arn:aws:iam::123456789012:role/round-trips >/dev/null
"$AUTHCTL" client add probe-app --type public \
  --grant-types "password refresh_token authorization_code" --scopes "me items" \
  --redirect-uri http://127.0.0.1:8765/callback >/dev/null
registered="$("$AUTHCTL" client add probe-service --type confidential \
  --grant-types client_credentials --scopes items --json)"
PROBE_CLIENT_SECRET="$(printf '%s' "$registered" |
  "$ROOT/.venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["client_secret"])')"
unset registered
export PROBE_CLIENT_SECRET PROBE_LOG="$OUT/serve.log"
: >"$PROBE_LOG"
"$ROOT/.venv/bin/python" "$ROOT/scripts/round_trips.py" "$AUTHCTL" "$AWS_ENDPOINT_URL_DYNAMODB" \
  "${DELAY:-50}" "${RUNS:-15}" | tee "$OUT/round-trips.txt"

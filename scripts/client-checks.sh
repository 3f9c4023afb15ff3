#!/usr/bin/env bash
# Registered clients, checked from outside with a real OAuth client library (authlib, from
# PyPI into .venv): a machine token by the client credentials grant with client_secret_basic
# and client_secret_post, verified with authlib's JOSE against the JWKS found through RFC 8414
# discovery, used at /status/ (200) and /users/me/ (403), introspected, revoked, and a wrong
# secret refused; and the authorization code flow with PKCE through the sign-in page
# (authlib_code_flow.py). Twice: on the zero-setup local run (the demo clients), and on
# DynamoDB (moto) with clients that `authctl client add` registers (a confidential one's
# secret printed once).
#
#   scripts/client-checks.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { echo "client-checks.sh: $*" >&2; }

if [[ "${1:-}" != "--inside" ]]; then
  "$ROOT/scripts/tools.sh" >/dev/null
  cargo build -q --locked -p authctl
  exec "$ROOT/scripts/with-moto.sh" "$ROOT/scripts/client-checks.sh" --inside
fi

source "$ROOT/scripts/servers.sh"
AUTHCTL="$ROOT/target/debug/authctl"
PYTHON="$ROOT/.venv/bin/python"
OUT="$ROOT/target/client-checks"
mkdir -p "$OUT"
export RUST_LOG=warn
trap stop_servers EXIT

check() {
  timeout --foreground -k 10 120 "$PYTHON" "$ROOT/scripts/client-checks/authlib_clients.py" "$@"
}
code_flow() {
  timeout --foreground -k 10 120 "$PYTHON" "$ROOT/scripts/client-checks/authlib_code_flow.py" "$@"
}

# 1. The zero-setup local run: the demo client.
serve_authctl client-checks.sh "$OUT/serve-memory.log" USER_STORE=memory
log "authlib against $BASE (in memory, demo-service)"
check "$BASE" demo-service demo-service-secret
log "authlib code flow against $BASE (in memory, demo-app)"
code_flow "$BASE" demo-app http://127.0.0.1:8765/callback

# 2. DynamoDB: a client registered by the operator CLI, its secret taken from --json.
RUN="clients-$$"
export USERS_TABLE="$RUN-users" TOKENS_TABLE="$RUN-tokens" KEYS_TABLE="$RUN-keys" \
  CLIENTS_TABLE="$RUN-clients"
"$AUTHCTL" table create >/dev/null
"$AUTHCTL" user seed-demo >/dev/null
registered="$("$AUTHCTL" client add reports --type confidential \
  --grant-types client_credentials --scopes items --json)"
secret="$(printf '%s' "$registered" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')"
"$AUTHCTL" client add web-app --type public --grant-types authorization_code,refresh_token \
  --scopes "me items" --redirect-uri http://127.0.0.1/callback >/dev/null
serve_authctl client-checks.sh "$OUT/serve-dynamodb.log"
log "authlib against $BASE (DynamoDB, a client added by authctl)"
check "$BASE" reports "$secret"
log "authlib code flow against $BASE (DynamoDB, a public client added by authctl)"
code_flow "$BASE" web-app http://127.0.0.1:51234/callback
log "passed"

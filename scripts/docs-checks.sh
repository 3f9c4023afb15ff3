#!/usr/bin/env bash
# The API documentation, checked from outside, against real local runs on 127.0.0.1:
#   1. the browser tests: the zero-setup local run (`authctl serve`, demo users in memory);
#      headless Chromium (Debian's package) driven by Playwright opens /docs, authorizes with
#      the password flow as johndoe with scopes me and items, calls GET /users/me/ from the
#      page, sees the 200 and saves a screenshot (target/docs-checks/docs-authorized.png);
#      then signs in on the hosted sign-in page as the demo app's user (axe-core's
#      accessibility rules, screenshots at phone and desktop width, a wrong password, the
#      redirect to the app's loopback callback, the code exchanged with PKCE);
#   2. schemathesis with its default checks against /openapi.json of a second local run,
#      backed by DynamoDB (moto), as a dedicated user `schemathesis` that signs in from its
#      own address, and at /introspect as a dedicated confidential client that `authctl
#      client add` registers (HTTP Basic, from an address of its own); a hook keeps its
#      guessing at /token off the demo users. Afterwards no demo user has a failed sign-in
#      counted, johndoe still signs in, and the client still introspects.
# Installs what it needs (Chromium with apt, Playwright and schemathesis into .venv through
# scripts/tools.sh). schemathesis needs Python >= 3.11.
#
#   scripts/docs-checks.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { echo "docs-checks.sh: $*" >&2; }

if [[ "${1:-}" != "--inside" ]]; then
  "$ROOT/scripts/install-chromium.sh"
  # axe-core for the sign-in page's accessibility check.
  AXE_JS="$("$ROOT/scripts/install-axe.sh")"
  export AXE_JS
  cargo build -q --locked -p authctl
  exec "$ROOT/scripts/with-moto.sh" "$ROOT/scripts/docs-checks.sh" --inside
fi

source "$ROOT/scripts/servers.sh"
AUTHCTL="$ROOT/target/debug/authctl"
PYTHON="$ROOT/.venv/bin/python"
OUT="$ROOT/target/docs-checks"
mkdir -p "$OUT"
export RUST_LOG=warn
trap stop_servers EXIT

# 1. The browser test, on the zero-setup local run (the README's first command).
serve_authctl docs-checks.sh "$OUT/serve-memory.log" USER_STORE=memory
log "browser test against $BASE/docs"
timeout --foreground -k 10 300 "$PYTHON" "$ROOT/scripts/docs-checks/browser_docs.py" \
  "$BASE" johndoe secret "$OUT/docs-authorized.png"
# The hosted sign-in page, as the demo app's user meets it (its loopback callback on 8765,
# the demo app's registered redirect URI), with axe-core's accessibility rules.
log "browser sign-in through $BASE/authorize"
timeout --foreground -k 10 300 "$PYTHON" "$ROOT/scripts/docs-checks/browser_sign_in.py" \
  "$BASE" demo-app 8765 "$AXE_JS" "$OUT"

# 2. schemathesis, on DynamoDB, as its own user from its own address.
RUN="docs-$$"
export USERS_TABLE="$RUN-users" TOKENS_TABLE="$RUN-tokens" KEYS_TABLE="$RUN-keys" \
  CLIENTS_TABLE="$RUN-clients"
"$AUTHCTL" table create >/dev/null
"$AUTHCTL" user seed-demo >/dev/null
DEMO_USERS=(johndoe alice)
DOCS_CHECK_PASSWORD="$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(18))')"
printf '%s\n' "$DOCS_CHECK_PASSWORD" |
  "$AUTHCTL" user add schemathesis --scopes "me items" --password-stdin >/dev/null
# The client that introspects: its secret is generated and shown once (in --json), kept only
# in this shell and the hooks' environment.
DOCS_CHECK_CLIENT_ID=schemathesis-client
registered="$("$AUTHCTL" client add "$DOCS_CHECK_CLIENT_ID" --type confidential \
  --grant-types client_credentials --scopes items --json)" ||
  { log "authctl client add $DOCS_CHECK_CLIENT_ID failed"; exit 1; }
DOCS_CHECK_CLIENT_SECRET="$(printf '%s' "$registered" |
  "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["client_secret"])')"
unset registered
export TRUSTED_SOURCE_HEADER=x-docs-check-source
serve_authctl docs-checks.sh "$OUT/serve-dynamodb.log"
log "schemathesis against $BASE/openapi.json"
DOCS_CHECK_BASE="$BASE" DOCS_CHECK_USER=schemathesis DOCS_CHECK_PASSWORD="$DOCS_CHECK_PASSWORD" \
  DOCS_CHECK_CLIENT_ID="$DOCS_CHECK_CLIENT_ID" DOCS_CHECK_CLIENT_SECRET="$DOCS_CHECK_CLIENT_SECRET" \
  DOCS_CHECK_PROTECTED_USERS="${DEMO_USERS[*]}" \
  PYTHONPATH="$ROOT/scripts/docs-checks" SCHEMATHESIS_HOOKS=schemathesis_hooks \
  "$ROOT/.venv/bin/schemathesis" --config-file "$ROOT/scripts/docs-checks/schemathesis.toml" \
  run "$BASE/openapi.json" --no-color 2>&1 | tee "$OUT/schemathesis.txt"
# (pipefail: a failed run has ended the script here, with schemathesis's status.)

# No failed sign-in was counted against a demo user, and johndoe still signs in (from an
# address the run's guessing did not use).
for user in "${DEMO_USERS[@]}"; do
  failures="$("$AUTHCTL" user show "$user" --json |
    "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["recent_failures"])')"
  if [[ "$failures" != 0 ]]; then
    log "the run counted $failures failed sign-ins against $user"
    exit 1
  fi
done
status="$(curl -s --max-time 30 -o /dev/null -w '%{http_code}' -H "$TRUSTED_SOURCE_HEADER: 192.0.2.20" \
  -d 'username=johndoe&password=secret&scope=me' "$BASE/token")"
if [[ "$status" != 200 ]]; then
  log "johndoe cannot sign in after the run: $status"
  exit 1
fi
# The dedicated client still authenticates (its budget was not spent by the run).
status="$(curl -s --max-time 30 -o /dev/null -w '%{http_code}' -H "$TRUSTED_SOURCE_HEADER: 192.0.2.21" \
  -u "$DOCS_CHECK_CLIENT_ID:$DOCS_CHECK_CLIENT_SECRET" -d 'token=not-a-token' "$BASE/introspect")"
if [[ "$status" != 200 ]]; then
  log "$DOCS_CHECK_CLIENT_ID cannot introspect after the run: $status"
  exit 1
fi
log "passed: the docs page and the sign-in page in Chromium; schemathesis on every operation; no demo user touched"

#!/usr/bin/env bash
# Proves the `cargo lambda` development path: `cargo lambda watch` serves every function on its
# production path (with and without the trailing slash), and `cargo lambda invoke --data-file`
# answers every sample event in events/ with the status its name promises, on the function the
# template routes it to (scripts/events.py plan: 200 for *-success*, 401 for *-no-token, ...;
# shared/tests/service/sample_events/expectations.rs holds each event's full expectation).
# Over watch it also gets the demo client's own token (client credentials, HTTP Basic as
# demo-service / demo-service-secret, the documented demo credentials), uses it at /status/
# (200) and /users/me/ (403: no user), and introspects a user's token and that token at
# /introspect (active true).
# The functions are separate processes here: the token function signs with the RSA key in
# target/local-keys/ (created on first start) and publishes its public half in the key set
# file there, which the verifying functions and the JWKS function read (events/local.env).
# Also opens /docs there in headless Chromium and signs in from the page (browser_docs.py).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
"$ROOT/scripts/tools.sh"
export PATH="$ROOT/.venv/bin:$PATH"

# Every wait below is bounded, so a function that never comes up is a failure with its log,
# not a hang: curl gives up after SMOKE_HTTP_TIMEOUT seconds, invoke and the browser likewise.
HTTP_TIMEOUT="${SMOKE_HTTP_TIMEOUT:-60}"
http() { curl -s --max-time "$HTTP_TIMEOUT" "$@"; }

# Build every function exactly as `cargo lambda watch` will run it (`cargo run --bin NAME`, one
# package at a time, so the same feature set), so that a build failure is reported here and
# the first request to each function does not wait for a compile.
for dir in functions/*/; do
  name="$(basename "$dir")"
  if ! cargo build -q --locked --manifest-path Cargo.toml --bin "$name"; then
    echo "smoke: cargo build --bin $name failed" >&2
    df -h "$ROOT/target" >&2 || true
    exit 1
  fi
done

source "$ROOT/scripts/servers.sh"
PORT="$(free_port)"
LOG="$ROOT/target/cargo-lambda-watch.log"
mkdir -p "$ROOT/target"
# A fresh local key for every run.
rm -rf "$ROOT/target/local-keys"
# `timeout` (as .ci/run uses it) signals this script's process group, which watch leaves below:
# turn the signal into an exit so that the EXIT trap still stops watch.
trap 'exit 143' TERM INT
# Its own session, so that nothing else signals it. Watch runs each function in a session of
# its own and stops them itself when it gets TERM; KILL only if it has not gone in 10 s.
setsid cargo lambda watch --env-file events/local.env -A 127.0.0.1 -P "$PORT" >"$LOG" 2>&1 &
WATCH_PID=$!
stop_watch() {
  kill -TERM -- "-$WATCH_PID" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$WATCH_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$WATCH_PID" 2>/dev/null || true
  wait "$WATCH_PID" 2>/dev/null || true
}
trap stop_watch EXIT
show_log() { echo "smoke: the last lines of $LOG:" >&2; tail -n 60 "$LOG" >&2; }

base="http://127.0.0.1:$PORT"
form=(-H 'content-type: application/x-www-form-urlencoded' --data 'username=johndoe&password=secret&scope=me+items')
wait_until_answering "smoke: cargo lambda watch (POST /token)" "$WATCH_PID" "$LOG" \
  "${SMOKE_START_TIMEOUT:-300}" http -f -o /dev/null -X POST "${form[@]}" "$base/token"
# The functions were built above: a compile under watch means the two builds differ.
if grep -q 'Compiling' "$LOG"; then
  echo "smoke: cargo lambda watch rebuilt the token function (the prebuild above was not its build)" >&2
  show_log; exit 1
fi

failures=0
checks=0
check() { # name expected actual
  checks=$((checks + 1))
  if [[ "$2" == "$3" ]]; then echo "ok   $1 -> $3"; else echo "FAIL $1: expected $2, got $3"; failures=$((failures + 1)); fi
}

pair="$(http -X POST "${form[@]}" "$base/token/")" || { echo "smoke: POST /token/ failed" >&2; show_log; exit 1; }
token="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["access_token"])' "$pair")"
refresh="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["refresh_token"])' "$pair")"
for path in /users/me/ /users/me /users/me/items/ /users/me/items /status/ /status; do
  check "GET $path" 200 "$(http -o /dev/null -w '%{http_code}' -H "authorization: Bearer $token" "$base$path")"
done
check "GET /users/me/ without a token" 401 "$(http -o /dev/null -w '%{http_code}' "$base/users/me/")"

# The refresh token rotates, and the revoke function answers. (With in-memory stores each
# function process has its own sessions: that revocation reaches the token function's
# sessions only with a shared DynamoDB, which the test suite covers.)
rotated="$(http -X POST -H 'content-type: application/x-www-form-urlencoded' \
  --data "grant_type=refresh_token&refresh_token=$refresh" "$base/token" \
  | python3 -c 'import json, sys; print(json.load(sys.stdin).get("refresh_token", "none"))')" \
  || rotated=none
check "POST /token refresh_token rotates" yes "$([[ "$rotated" != none && "$rotated" != "$refresh" ]] && echo yes || echo no)"
check "POST /revoke" 200 "$(http -o /dev/null -w '%{http_code}' -X POST \
  -H 'content-type: application/x-www-form-urlencoded' --data "token=$rotated" "$base/revoke")"

# The token's key is in the JWKS the jwks function serves, and discovery points there.
kid="$(python3 -c 'import base64, json, sys; h = sys.argv[1].split(".")[0]; print(json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))["kid"])' "$token")"
check "GET /.well-known/jwks.json publishes the token's kid" yes \
  "$(http "$base/.well-known/jwks.json" | python3 -c 'import json, sys; print("yes" if sys.argv[1] in [k["kid"] for k in json.load(sys.stdin)["keys"]] else "no")' "$kid")"
check "GET /.well-known/openid-configuration names the JWKS" /.well-known/jwks.json \
  "$(http "$base/.well-known/openid-configuration" | python3 -c 'import json, sys, urllib.parse; print(urllib.parse.urlparse(json.load(sys.stdin)["jwks_uri"]).path)')"

# RFC 8414 discovery at its own well-known name, from the same function, names introspection.
check "GET /.well-known/oauth-authorization-server names /introspect" /introspect \
  "$(http "$base/.well-known/oauth-authorization-server" | python3 -c 'import json, sys, urllib.parse; print(urllib.parse.urlparse(json.load(sys.stdin).get("introspection_endpoint", "")).path or "none")')"

# Registered clients. The documented demo client (its secret is a demo credential, like
# johndoe's) gets its own token with the client credentials grant and HTTP Basic: a bearer
# token with the client's scope and no refresh token. Any valid token passes /status/; a
# client's own has no user, so /users/me/ refuses it.
SMOKE_OUT="$ROOT/target/cargo-lambda-smoke"
mkdir -p "$SMOKE_OUT"
demo_client=(-u demo-service:demo-service-secret)
# summary FIELD...: the FIELDs of the JSON object on stdin, space-separated ("-" if absent).
summary() {
  python3 -c 'import json, sys
try: body = json.load(sys.stdin)
except ValueError: body = {}
print(*[json.dumps(body[f]) if isinstance(body.get(f), bool) else body.get(f, "-") for f in sys.argv[1:]])' "$@"
}
code="$(http -o "$SMOKE_OUT/client-credentials.json" -w '%{http_code}' "${demo_client[@]}" \
  -X POST --data 'grant_type=client_credentials' "$base/token")" || code=error
check "POST /token client_credentials, Basic demo-service" "200 bearer items -" \
  "$code $(summary token_type scope refresh_token <"$SMOKE_OUT/client-credentials.json")"
machine="$(summary access_token <"$SMOKE_OUT/client-credentials.json")"
check "GET /status/ with the client's own token" 200 \
  "$(http -o /dev/null -w '%{http_code}' -H "authorization: Bearer $machine" "$base/status/")"
check "GET /users/me/ with the client's own token (no user)" 403 \
  "$(http -o /dev/null -w '%{http_code}' -H "authorization: Bearer $machine" "$base/users/me/")"

# Introspection (RFC 7662) by the demo client. A user's access token: johndoe's from the
# sample events (signed by their key, which events/local.env trusts; it names no session).
# A token signed in above names its session, which lives in the token function's memory
# only here (each function process has its own in-memory stores), so the introspect
# function would call it inactive: the test suite introspects those over shared stores.
user_token="$(python3 -c 'import json, sys, urllib.parse; print(urllib.parse.parse_qs(json.load(open(sys.argv[1]))["body"])["token"][0])' events/introspect-success.json)"
check "POST /introspect johndoe's token, Basic demo-service" "200 true johndoe johndoe me items default" \
  "$(http -o "$SMOKE_OUT/introspect-user.json" -w '%{http_code}' "${demo_client[@]}" \
      -X POST --data-urlencode "token=$user_token" "$base/introspect") $(summary active sub username scope client_id <"$SMOKE_OUT/introspect-user.json")"
check "POST /introspect/ the client's own token" "200 true demo-service items -" \
  "$(http -o "$SMOKE_OUT/introspect-client.json" -w '%{http_code}' "${demo_client[@]}" \
      -X POST --data-urlencode "token=$machine" "$base/introspect/") $(summary active client_id scope username <"$SMOKE_OUT/introspect-client.json")"
check "POST /introspect without client credentials" "401 invalid_client basic" \
  "$(http -D "$SMOKE_OUT/introspect-anonymous.headers" -o "$SMOKE_OUT/introspect-anonymous.json" -w '%{http_code}' \
      -X POST --data-urlencode "token=$user_token" "$base/introspect") $(summary error <"$SMOKE_OUT/introspect-anonymous.json") $(grep -i '^www-authenticate:' "$SMOKE_OUT/introspect-anonymous.headers" | awk '{print tolower($2)}' | head -n1)"

# The documentation functions: the document, the page and the files it loads, as watch routes them.
check "GET /openapi.json is OpenAPI 3.1" 3.1.0 \
  "$(http "$base/openapi.json" | python3 -c 'import json, sys; print(json.load(sys.stdin)["openapi"])')"
# status_and_csp PATH: the status and the first CSP directive of GET PATH (the body, kept in
# $SMOKE_OUT/docs-body, is shown when the status is not 200).
status_and_csp() {
  local got
  got="$(http -o "$SMOKE_OUT/docs-body" -D - "$base$1" \
    | python3 -c 'import sys; lines = sys.stdin.read().splitlines(); csp = [l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("content-security-policy:")]; print(lines[0].split()[1] if lines else "none", (csp[0].split(";")[0] if csp else "none"))')"
  if [[ "$got" != 200* ]]; then
    echo "smoke: GET $1 answered $got: $(head -c 300 "$SMOKE_OUT/docs-body" 2>/dev/null)" >&2
  fi
  echo "$got"
}
for path in /docs /docs/ /docs/swagger-ui-bundle.js /docs/swagger-ui.css /docs/docs.js; do
  got="$(status_and_csp "$path")"
  # cargo lambda watch's emulator once answered the 1.7 MB bundle with a 500 that no log line
  # of the function explained (one run in many; not reproduced in 20 requests on 4 fresh
  # starts): ask once more, and say so. Two failures in a row still fail the check.
  if [[ "$got" != "200 default-src 'none'" ]]; then
    echo "smoke: GET $path asked again after: $got" >&2
    got="$(status_and_csp "$path")"
  fi
  check "GET $path" "200 default-src 'none'" "$got"
done

# The sign-in page from the authorize function: the page, then a sign-in on its form (with
# the CSRF cookie it set) that redirects to the demo app with a code. (Each function process
# keeps its own in-memory stores here, so the token function cannot redeem that code: the
# test suite and client-checks exchange codes over shared stores.)
authz="$base/authorize?response_type=code&client_id=demo-app&redirect_uri=http%3A%2F%2F127.0.0.1%3A8765%2Fcallback&scope=me%20items&state=smoke&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
jar="$SMOKE_OUT/sign-in.cookies"
rm -f "$jar"
check "GET /authorize (the sign-in page)" "200 frame-ancestors 'none'" "$(http -c "$jar" -H 'accept: text/html' \
  -o "$SMOKE_OUT/sign-in.html" -D - "$authz" | python3 -c 'import sys; lines = sys.stdin.read().splitlines(); csp = [l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("content-security-policy:")]; print(lines[0].split()[1], next((p.strip() for p in (csp[0].split(";") if csp else []) if p.strip().startswith("frame-ancestors")), "none"))')"
fields=()
while IFS= read -r field; do fields+=(--data-urlencode "$field"); done \
  < <(sed -nE 's/.*type="hidden" name="([a-z_]*)" value="([^"]*)".*/\1=\2/p' "$SMOKE_OUT/sign-in.html")
check "POST /authorize signs johndoe in, back to the demo app with a code" "303 yes" \
  "$(http -b "$jar" -o /dev/null -w '%{http_code} %{redirect_url}' "${fields[@]}" \
      -d username=johndoe -d password=secret "$base/authorize" \
    | python3 -c 'import sys; status, url = (sys.stdin.read().split() + [""])[:2]; print(status, "yes" if url.startswith("http://127.0.0.1:8765/callback?code=") and "state=smoke" in url else url)')"

# The docs page across the separate function processes: the page and its files from the docs
# function, the document from the openapi function, Authorize at the token function, then
# GET /users/me/ at the users-me function, in headless Chromium. (Not the code flow: the
# authorize function's codes live in its own process's memory here, out of the token
# function's reach; docs-checks.sh runs it on one process.)
"$ROOT/scripts/install-chromium.sh"
mkdir -p "$ROOT/target/docs-checks"
check "browser: /docs, Authorize, GET /users/me/ under cargo lambda watch" ok \
  "$(timeout --foreground -k 10 300 "$ROOT/.venv/bin/python" "$ROOT/scripts/docs-checks/browser_docs.py" "$base" johndoe secret \
    "$ROOT/target/docs-checks/docs-cargo-lambda-watch.png" no-code-flow >/dev/null 2>"$ROOT/target/docs-checks/watch-browser.err" \
    && echo ok || { cat "$ROOT/target/docs-checks/watch-browser.err" >&2; echo failed; })"

# Each event goes to the function the template routes it to, and must get the status its name
# promises (scripts/events.py: one table for this script and scripts/sam-local.sh).
plan="$("$ROOT/.venv/bin/python" "$ROOT/scripts/events.py" plan)" || { echo "FAIL events.py plan"; exit 1; }
while read -r name want _function fn file; do
  got="$(timeout --foreground -k 10 120 cargo lambda invoke "$fn" --data-file "$file" -A 127.0.0.1 -P "$PORT" 2>&1 \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["statusCode"])' 2>/dev/null || echo error)"
  check "invoke $fn < $file" "$want" "$got"
done <<<"$plan"

# A function serves only its own endpoint: every other function's event sent to the token
# function (API Gateway's catch-all target) gets the JSON 404, without running that code.
for file in events/status-*.json events/users-me-*.json; do
  got="$(timeout --foreground -k 10 120 cargo lambda invoke token --data-file "$file" -A 127.0.0.1 -P "$PORT" 2>&1 \
    | python3 -c 'import json, sys; r = json.load(sys.stdin); print(r["statusCode"], json.loads(r["body"])["detail"])' 2>/dev/null || echo error)"
  check "invoke token < $file" "404 Not Found" "$got"
done

echo "smoke: $((checks - failures)) passed, $failures failed"
(( failures == 0 )) || show_log
(( failures == 0 ))

#!/usr/bin/env bash
# A bounded load test on 127.0.0.1 only: `authctl serve` backed by the DynamoDB-compatible
# server (moto), driven by oha (installed here if missing) with four streams at once, each at
# a fixed rate for LOAD_SECONDS (default 20):
#   good sign-ins (johndoe, from one address)      expect 200
#   bad sign-ins  (bob, wrong password, another)   expect 400
#   token checks  (GET /users/me/, valid token)    expect 200
#   bad tokens    (GET /users/me/, garbage)        expect 401
# Prints throughput, latency percentiles and counts per status for each stream, then checks
# that nothing was lost: every 200 sign-in left its session in the tokens table. Exits non-zero
# on any unexpected status or lost session.
#
#   scripts/load-test.sh
#   LOAD_SECONDS=60 LOAD_RATE=20 scripts/load-test.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ "${1:-}" != "--inside" ]]; then
  if ! command -v oha >/dev/null 2>&1; then
    cargo install --locked oha
  fi
  cargo build -q -p authctl
  exec "$ROOT/scripts/with-moto.sh" "$ROOT/scripts/load-test.sh" --inside
fi

SECONDS_PER_STREAM="${LOAD_SECONDS:-20}"
RATE="${LOAD_RATE:-10}"
AUTHCTL="$ROOT/target/debug/authctl"
RUN="load-$$"
export USERS_TABLE="$RUN-users" TOKENS_TABLE="$RUN-tokens" KEYS_TABLE="$RUN-keys"
# Each stream gets its own address, as clients behind a trusted proxy would.
export TRUSTED_SOURCE_HEADER=x-forwarded-for
export RUST_LOG=warn
OUT="$ROOT/target/load-test"
mkdir -p "$OUT"

"$AUTHCTL" table create >/dev/null 2>&1
"$AUTHCTL" user seed-demo >/dev/null 2>&1
printf 'bobpassword\n' | "$AUTHCTL" user add bob --scopes me --password-stdin >/dev/null

source "$ROOT/scripts/servers.sh"
PORT="$(free_port)"
"$AUTHCTL" serve --port "$PORT" >"$OUT/serve.log" 2>&1 &
SERVE_PID=$!
trap 'kill $SERVE_PID 2>/dev/null || true; wait $SERVE_PID 2>/dev/null || true' EXIT
BASE="http://127.0.0.1:$PORT"
wait_until_answering "load-test.sh: authctl serve" "$SERVE_PID" "$OUT/serve.log" 30 \
  curl -fs --max-time 5 -o /dev/null "$BASE/.well-known/openid-configuration"

FORM="content-type: application/x-www-form-urlencoded"
TOKEN="$(curl -fs --max-time 30 -H "$FORM" -H 'x-forwarded-for: 10.0.0.9' \
  -d 'username=johndoe&password=secret&scope=me' "$BASE/token" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"

stream() { # name expected-status oha-args...
  local name="$1"; shift
  local expected="$1"; shift
  # A fixed count at a fixed rate: every request completes (no deadline cuts one off).
  oha --no-tui --output-format json -t 10s -n "$((SECONDS_PER_STREAM * RATE))" -q "$RATE" -c 4 "$@" \
    >"$OUT/$name.json" 2>"$OUT/$name.err"
  echo "$name $expected" >>"$OUT/streams"
}

rm -f "$OUT/streams"
stream good-sign-ins 200 -m POST -H "$FORM" -H 'x-forwarded-for: 10.0.0.1' \
  -d 'username=johndoe&password=secret&scope=me' "$BASE/token" &
pids=($!)
stream bad-sign-ins 400 -m POST -H "$FORM" -H 'x-forwarded-for: 10.0.0.2' \
  -d 'username=bob&password=wrong' "$BASE/token" &
pids+=($!)
stream token-checks 200 -H "authorization: Bearer $TOKEN" "$BASE/users/me/" &
pids+=($!)
stream bad-tokens 401 -H 'authorization: Bearer not-a-token' "$BASE/users/me/" &
pids+=($!)
# The streams only: the server runs on in the background until the checks are done.
wait "${pids[@]}"

"$ROOT/.venv/bin/python" - "$OUT" "$TOKENS_TABLE" <<'PY'
import json, os, sys
import boto3

out, table = sys.argv[1], sys.argv[2]
streams = [line.split() for line in open(os.path.join(out, "streams"))]
print(f"{'stream':<14} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}  statuses")
unexpected = 0
good_sign_ins = 0
for name, expected in sorted(streams):
    result = json.load(open(os.path.join(out, f"{name}.json")))
    summary, pct = result["summary"], result["latencyPercentiles"]
    codes = result.get("statusCodeDistribution", {})
    errors = result.get("errorDistribution", {})
    wrong = sum(n for code, n in codes.items() if code != expected) + sum(errors.values())
    unexpected += wrong
    if name == "good-sign-ins":
        good_sign_ins = codes.get("200", 0)
    shown = ", ".join(f"{c}: {n}" for c, n in sorted(codes.items()))
    if errors:
        shown += f", errors: {errors}"
    print(f"{name:<14} {summary['requestsPerSec']:7.1f} {pct['p50']*1000:7.1f} {pct['p95']*1000:7.1f} {pct['p99']*1000:7.1f}  {shown}")

# Nothing lost: each 200 sign-in started one session (a `fam#` item), plus the setup sign-in.
db = boto3.client(
    "dynamodb",
    region_name=os.environ.get("AWS_REGION", "us-east-1"),
    endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"],
)
families, start = 0, None
while True:
    kwargs = {"TableName": table, "ConsistentRead": True}
    if start:
        kwargs["ExclusiveStartKey"] = start
    page = db.scan(**kwargs)
    families += sum(1 for item in page["Items"] if item["id"]["S"].startswith("fam#"))
    start = page.get("LastEvaluatedKey")
    if not start:
        break
print(f"sessions stored: {families} for {good_sign_ins} + 1 successful sign-ins")
print(f"unexpected statuses: {unexpected}")
if unexpected or families != good_sign_ins + 1:
    sys.exit("load test: unexpected statuses or lost sessions")
PY

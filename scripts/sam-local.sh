#!/usr/bin/env bash
# `sam local`, for real and offline: every sample event through `sam local invoke` in a
# container, and the whole API through `sam local start-api`, on the in-memory stores and on
# DynamoDB (moto). Ends with `sam local: N passed, N failed` and fails on any failure.
#
#   scripts/sam-local.sh                 # x86_64 artifacts (what CI runs)
#   scripts/sam-local.sh --arch arm64    # the real arm64 artifacts, run under qemu (slow build)
#   scripts/sam-local.sh --no-build      # reuse target/sam-local/build-<arch>/
#
# What it does, installing what is missing (as root, or through passwordless sudo):
#  1. Debian's docker.io, debootstrap and binutils (and for arm64 qemu-user-static +
#     binfmt-support, with qemu-aarch64 enabled with the F flag), and the pinned SAM CLI in
#     the tools venv (scripts/tools.sh).
#  2. Starts dockerd if none answers, and at the end stops only the one it started.
#  3. Builds, once, a stand-in for the provided.al2023 base image (scripts/sam-local/Dockerfile:
#     Debian's minimal rootfs from debootstrap, with CA certificates and the real image's
#     environment): no registry can be reached, so `--invoke-image` names it and SAM adds its
#     own Runtime Interface Emulator on top.
#  4. `sam build` into target/sam-local/build-<arch>/ (the Makefile's one `cargo lambda build`;
#     for x86_64 without --arm64, and the built template's Architectures set to x86_64; never
#     template.yaml). Then every bootstrap must be an ELF for that architecture and need no
#     glibc newer than 2.34 (Lambda's provided.al2023; the Debian stand-in has 2.36, so a
#     newer symbol would pass here and fail in Lambda).
#  5. Every event in events/ through `sam local invoke` on the function the template routes it
#     to (scripts/events.py plan), checked against the status its name promises: the SAM CLI
#     exits 0 even when the function crashes, so the printed statusCode is the verdict.
#  6. `sam local start-api`: every route, with the sample events' tokens (memory stores).
#  7. On DynamoDB (moto on the docker bridge's address, so that containers reach it as
#     host.docker.internal): a sign-in and /users/me/ with the issued token through
#     `sam local invoke`, then the whole flow through start-api: sign in, /users/me/,
#     /users/me/items/, /status/, refresh, revoke, the revoked token refused, JWKS, discovery,
#     the OpenAPI document and the docs page.
#
# What it proves: the SAM CLI, the containers, SAM's own emulator, the template's wiring and
# environment, and the real bootstraps. What it does not: Amazon Linux's userland, Lambda's
# sandbox and its timings (see README, "sam local").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ARCH=x86_64
BUILD=1
while (($#)); do
  case "$1" in
    --arch) ARCH="${2:?--arch x86_64|arm64}"; shift 2 ;;
    --arch=*) ARCH="${1#--arch=}"; shift ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,36p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sam-local.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
case "$ARCH" in
  x86_64) DEB_ARCH=amd64; ELF_MACHINE="X86-64" ;;
  arm64) DEB_ARCH=arm64; ELF_MACHINE="AArch64" ;;
  *) echo "sam-local.sh: --arch is x86_64 or arm64, not $ARCH" >&2; exit 2 ;;
esac

OUT="$ROOT/target/sam-local"
BUILD_DIR="$OUT/build-$ARCH"
TEMPLATE="$BUILD_DIR/template.yaml"
IMAGE="token-service-lambda-standin:$ARCH"
# Lambda's provided.al2023 has glibc 2.34.
MAX_GLIBC=2.34
mkdir -p "$OUT"

export SAM_CLI_TELEMETRY=0 PIP_DISABLE_PIP_VERSION_CHECK=1
source "$ROOT/scripts/servers.sh"

log() { echo "sam-local.sh: $*" >&2; }

checks=0 failures=0
check() { # what expected actual
  checks=$((checks + 1))
  if [[ "$2" == "$3" ]]; then echo "ok   $1 -> $3"; else echo "FAIL $1: expected $2, got $3"; failures=$((failures + 1)); fi
}

# ------------------------------------------------------------------ 1. what it needs
apt_install() {
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=120)
  if [[ "$(id -u)" != 0 ]]; then apt=(sudo -n "${apt[@]}"); fi
  log "installing Debian's $*"
  "${apt[@]}" install -y "$@" >/dev/null ||
    { "${apt[@]}" update >/dev/null && "${apt[@]}" install -y "$@" >/dev/null; }
}
as_root() { if [[ "$(id -u)" == 0 ]]; then "$@"; else sudo -n "$@"; fi; }

need=()
command -v dockerd >/dev/null || docker info >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null || [[ -x /usr/sbin/debootstrap ]] || need+=(debootstrap)
command -v readelf >/dev/null || need+=(binutils)
if [[ "$ARCH" == arm64 ]]; then
  [[ -x /usr/bin/qemu-aarch64-static ]] || need+=(qemu-user-static)
  command -v update-binfmts >/dev/null || [[ -x /usr/sbin/update-binfmts ]] || need+=(binfmt-support)
fi
((${#need[@]} == 0)) || apt_install "${need[@]}"
if [[ "$ARCH" == arm64 ]]; then "$ROOT/scripts/tools.sh" --with-arm64; else "$ROOT/scripts/tools.sh"; fi
export PATH="$ROOT/.venv/bin:$PATH"

# ------------------------------------------------------------------ 2. a container engine
DOCKERD_PID=""
STARTAPI_PID=""
MOTO_PID=""
cleanup() {
  local status=$?
  [[ -n "$STARTAPI_PID" ]] && stop_start_api
  if [[ -n "$MOTO_PID" ]]; then kill "$MOTO_PID" 2>/dev/null || true; wait "$MOTO_PID" 2>/dev/null || true; fi
  if [[ -n "$DOCKERD_PID" ]]; then
    log "stopping the dockerd it started (pid $DOCKERD_PID)"
    as_root kill "$DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do as_root kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.2; done
  fi
  exit "$status"
}
trap cleanup EXIT

if ! docker info >/dev/null 2>&1; then
  log "no Docker engine answers: starting dockerd (log: target/sam-local/dockerd.log)"
  # A dockerd killed without a chance to clean up leaves its pid file, and a new one refuses
  # to start while it is there.
  if [[ -f /var/run/docker.pid ]] && ! as_root kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    as_root rm -f /var/run/docker.pid
  fi
  # Not through as_root: a backgrounded shell function is a subshell, and its PID (what $!
  # gives) is not dockerd's, so stopping it left dockerd running. sudo passes the signal on.
  if [[ "$(id -u)" == 0 ]]; then
    dockerd >"$OUT/dockerd.log" 2>&1 &
  else
    sudo -n dockerd >"$OUT/dockerd.log" 2>&1 &
  fi
  DOCKERD_PID=$!
  for _ in $(seq 1 150); do docker info >/dev/null 2>&1 && break; sleep 0.2; done
  docker info >/dev/null 2>&1 || { log "dockerd did not answer within 30 s"; tail -20 "$OUT/dockerd.log" >&2; exit 1; }
fi

# ------------------------------------------------------------------ arm64 under qemu
if [[ "$ARCH" == arm64 && "$(uname -m)" != aarch64 ]]; then
  [[ -e /proc/sys/fs/binfmt_misc/status ]] || as_root mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  as_root update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  # F (fix binary): the kernel keeps the interpreter open, so it works inside containers too.
  grep -q '^flags: .*F' /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null ||
    { log "qemu-aarch64 is not registered with the F flag in binfmt_misc: arm64 containers cannot run"; exit 1; }
fi

# ------------------------------------------------------------------ 3. the stand-in base image
if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  rootfs="$OUT/rootfs-$ARCH"
  log "building the base image $IMAGE (debootstrap bookworm $DEB_ARCH; about a minute, once)"
  as_root rm -rf "$rootfs" && mkdir -p "$rootfs"
  as_root debootstrap --variant=minbase --include=ca-certificates --arch "$DEB_ARCH" \
    bookworm "$rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$OUT/debootstrap-$ARCH.log" 2>&1 ||
    { tail -20 "$OUT/debootstrap-$ARCH.log" >&2; exit 1; }
  context="$OUT/image-$ARCH"
  rm -rf "$context" && mkdir -p "$context"
  as_root tar -C "$rootfs" -cf "$context/rootfs.tar" .
  cp "$ROOT/scripts/sam-local/Dockerfile" "$context/"
  docker build -q --platform "linux/$DEB_ARCH" -t "$IMAGE" "$context" >/dev/null
  as_root rm -rf "$rootfs" "$context"
fi
check "base image $IMAGE runs its own architecture" "$ARCH" \
  "$(docker run --rm --platform "linux/$DEB_ARCH" "$IMAGE" uname -m | sed 's/aarch64/arm64/')"

# ------------------------------------------------------------------ 4. the artifacts
if ((BUILD)); then
  log "sam build ($ARCH) into ${BUILD_DIR#"$ROOT"/}"
  flags="--release --locked"
  [[ "$ARCH" == arm64 ]] && flags="--release --arm64 --locked"
  # Separate lambda dirs per architecture: this build never replaces the arm64 bootstraps
  # that scripts/sam-build.sh (the deployment build) leaves in target/lambda/.
  CARGO_LAMBDA_FLAGS="$flags" LAMBDA_DIR="$ROOT/target/lambda-$ARCH" \
    sam build --template-file template.yaml --build-in-source --no-cached \
      --build-dir "$BUILD_DIR" >"$OUT/sam-build-$ARCH.log" 2>&1 ||
    { tail -40 "$OUT/sam-build-$ARCH.log" >&2; exit 1; }
  if [[ "$ARCH" == x86_64 ]]; then
    # sam local has no --architecture option: the built template says what to run.
    python3 - "$TEMPLATE" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
text, n = re.subn(r"(Architectures:\s*(?:\n\s*-\s*|\[\s*))arm64", r"\1x86_64", text)
if n == 0 or "arm64" in re.findall(r"Architectures:[^\n]*\n?[^\n]*", text).__str__():
    sys.exit(f"sam-local.sh: could not set Architectures to x86_64 in {path}")
open(path, "w").write(text)
PY
  fi
fi
[[ -f "$TEMPLATE" ]] || { log "no built template at $TEMPLATE: run without --no-build"; exit 1; }

bootstraps=("$BUILD_DIR"/*/bootstrap)
check "built functions" 11 "${#bootstraps[@]}"
for bootstrap in "${bootstraps[@]}"; do
  function="$(basename "$(dirname "$bootstrap")")"
  machine="$(readelf -h "$bootstrap" | sed -n 's/^ *Machine: *//p')"
  check "$function bootstrap ($(du -k "$bootstrap" | cut -f1) KiB) is an ELF for $ARCH" yes \
    "$([[ "$machine" == *"$ELF_MACHINE"* ]] && echo yes || echo "$machine")"
  newest="$(readelf --dyn-syms -W "$bootstrap" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)"
  highest="$(printf '%s\n%s\n' "$newest" "$MAX_GLIBC" | sort -V | tail -1)"
  check "$function needs glibc $newest <= $MAX_GLIBC" "$MAX_GLIBC" "$highest"
done

# ------------------------------------------------------------------ 5. every event, invoked
SAM_LOCAL=(--template-file "$TEMPLATE" --invoke-image "$IMAGE" --skip-pull-image)

# invoke FUNCTION EVENT ENV_FILE [extra args]: prints the function's response (one JSON line).
invoke() {
  local function="$1" event="$2" env="$3"; shift 3
  timeout --foreground -k 10 300 sam local invoke "$function" "${SAM_LOCAL[@]}" \
    -e "$event" --env-vars "$env" "$@" 2>>"$OUT/invoke.log" | tail -n 1
}
status_of() { python3 -c 'import json, sys; print(json.load(sys.stdin)["statusCode"])' 2>/dev/null || echo error; }

: >"$OUT/invoke.log"
plan="$(python scripts/events.py plan "$ROOT/template.yaml")"
log "$(wc -l <<<"$plan") sample events through sam local invoke (memory stores)"
while read -r name want function _binary file; do
  check "sam local invoke $function -e $file" "$want" "$(invoke "$function" "$file" events/env.json | status_of)"
done <<<"$plan"

# ------------------------------------------------------------------ 6./7. start-api
# start_api ENV_FILE [extra args]: serves the API on a free port in the background.
start_api() {
  local env="$1"; shift
  API_PORT="$(free_port)"
  sam local start-api "${SAM_LOCAL[@]}" --env-vars "$env" --host 127.0.0.1 --port "$API_PORT" \
    --warm-containers LAZY "$@" >"$OUT/start-api.log" 2>&1 &
  STARTAPI_PID=$!
  BASE="http://127.0.0.1:$API_PORT"
  wait_until_answering "sam local start-api" "$STARTAPI_PID" "$OUT/start-api.log" 120 \
    curl -s --max-time 2 -o /dev/null "$BASE/openapi.json"
}
stop_start_api() {
  # SIGINT, as a terminal's Ctrl-C: SAM then removes its warm containers.
  kill -INT "$STARTAPI_PID" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$STARTAPI_PID" 2>/dev/null || break; sleep 0.2; done
  kill "$STARTAPI_PID" 2>/dev/null || true
  wait "$STARTAPI_PID" 2>/dev/null || true
  STARTAPI_PID=""
}
# http METHOD PATH [curl args]: prints "STATUS BODY".
http() {
  local method="$1" path="$2"; shift 2
  local body status
  body="$(mktemp)"
  status="$(curl -s --max-time 120 -o "$body" -w '%{http_code}' -X "$method" "$@" "$BASE$path" || echo 000)"
  echo "$status $(tr -d '\n' <"$body")"
  rm -f "$body"
}
field() { python3 -c 'import json, sys; print(json.loads(sys.stdin.read().split(" ", 1)[1]).get(sys.argv[1], ""))' "$1" 2>/dev/null; }
status() { cut -d' ' -f1; }
event_token() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["headers"]["authorization"].split()[1])' "$1"; }

log "sam local start-api (memory stores)"
start_api events/env.json
sign_in=(-d username=johndoe -d password=secret -d "scope=me items")
check "start-api POST /token" 200 "$(http POST /token "${sign_in[@]}" | status)"
check "start-api POST /token/" 200 "$(http POST /token/ "${sign_in[@]}" | status)"
# The events' tokens verify through TRUSTED_KEYS: each resource route, on both its forms.
for route in "/users/me:users-me-success" "/users/me/items:users-me-items-success" "/status:status-success"; do
  path="${route%%:*}" token="$(event_token "events/${route#*:}.json")"
  for form in "$path" "$path/"; do
    check "start-api GET $form" 200 "$(http GET "$form" -H "authorization: Bearer $token" | status)"
  done
  check "start-api GET $path/ without a token" 401 "$(http GET "$path/" | status)"
done
check "start-api GET /users/me/ username" johndoe \
  "$(http GET /users/me/ -H "authorization: Bearer $(event_token events/users-me-success.json)" | field username)"
for path in /.well-known/jwks.json /.well-known/openid-configuration /.well-known/oauth-authorization-server \
  /openapi.json /docs /docs/swagger-ui.css; do
  check "start-api GET $path" 200 "$(http GET "$path" | status)"
done
check "start-api GET /nowhere (the catch-all's JSON 404)" "404 Not Found" \
  "$(http GET /nowhere | { read -r s rest; echo "$s $(echo "x $rest" | field detail)"; })"
stop_start_api

# ------------------------------------------------------------------ 7. on DynamoDB (moto)
# Containers reach the host through the bridge's gateway (host.docker.internal), so moto
# listens there: an address of this machine that only it and its containers can reach.
# (dockerd 20.10 leaves the default bridge's Gateway out of its IPAM config: docker0 has it.)
GATEWAY="$(docker network inspect bridge -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}')"
[[ -n "$GATEWAY" ]] || GATEWAY="$(ip -4 -o addr show docker0 | awk '{print $4}' | cut -d/ -f1)"
[[ -n "$GATEWAY" ]] || { log "no address for the docker bridge's gateway"; exit 1; }
MOTO_PORT="$(free_port)"
python "$ROOT/scripts/moto_server.py" -H "$GATEWAY" -p "$MOTO_PORT" >"$OUT/moto.log" 2>&1 &
MOTO_PID=$!
wait_until_answering "moto on $GATEWAY" "$MOTO_PID" "$OUT/moto.log" 60 \
  curl -fs --max-time 2 -o /dev/null "http://$GATEWAY:$MOTO_PORT/moto-api/"
unset AWS_ENDPOINT_URL AWS_PROFILE AWS_SESSION_TOKEN
export AWS_ENDPOINT_URL_DYNAMODB="http://$GATEWAY:$MOTO_PORT" AWS_ACCESS_KEY_ID=testing \
  AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
# events/env.dynamodb.json as documented, with this run's port.
ENV_DYNAMODB="$OUT/env.dynamodb.json"
python3 - "$MOTO_PORT" >"$ENV_DYNAMODB" <<'PY'
import json, sys
env = json.load(open("events/env.dynamodb.json"))
endpoint = env["Parameters"]["AWS_ENDPOINT_URL_DYNAMODB"]
assert endpoint.startswith("http://host.docker.internal:"), endpoint
env["Parameters"]["AWS_ENDPOINT_URL_DYNAMODB"] = f"http://host.docker.internal:{sys.argv[1]}"
print(json.dumps(env))
PY
log "tables and demo users in moto (authctl, as the README shows)"
cargo run -q --locked -p authctl -- table create >"$OUT/authctl.log" 2>&1 &&
  cargo run -q --locked -p authctl -- user seed-demo >>"$OUT/authctl.log" 2>&1 ||
  { cat "$OUT/authctl.log" >&2; exit 1; }
ADD_HOST=(--add-host host.docker.internal:host-gateway)

log "sam local invoke on DynamoDB: a sign-in, then /users/me/ with the issued token"
response="$(invoke TokenFunction events/token-success.json "$ENV_DYNAMODB" "${ADD_HOST[@]}")"
check "invoke TokenFunction (DynamoDB)" 200 "$(status_of <<<"$response")"
access="$(python3 -c 'import json, sys; print(json.loads(json.load(sys.stdin)["body"])["access_token"])' <<<"$response" 2>/dev/null || true)"
event="$OUT/users-me-issued-token.json"
python3 - "$access" >"$event" <<'PY'
import json, sys
event = json.load(open("events/users-me-success.json"))
event["headers"]["authorization"] = f"Bearer {sys.argv[1]}"
print(json.dumps(event))
PY
response="$(invoke UsersMeFunction "$event" "$ENV_DYNAMODB" "${ADD_HOST[@]}")"
check "invoke UsersMeFunction with the issued token (DynamoDB)" "200 johndoe" \
  "$(python3 -c 'import json, sys; r = json.load(sys.stdin); print(r["statusCode"], json.loads(r["body"])["username"])' <<<"$response" 2>/dev/null || echo error)"

log "sam local start-api on DynamoDB: the whole flow"
start_api "$ENV_DYNAMODB" "${ADD_HOST[@]}"
signed_in="$(http POST /token "${sign_in[@]}")"
check "POST /token" 200 "$(status <<<"$signed_in")"
access="$(field access_token <<<"$signed_in")"
refresh="$(field refresh_token <<<"$signed_in")"
bearer=(-H "authorization: Bearer $access")
check "GET /users/me/ with the issued token" "200 johndoe" \
  "$(http GET /users/me/ "${bearer[@]}" | { read -r s rest; echo "$s $(echo "x $rest" | field username)"; })"
check "GET /users/me with the issued token" 200 "$(http GET /users/me "${bearer[@]}" | status)"
check "GET /users/me/items/ with the issued token" 200 "$(http GET /users/me/items/ "${bearer[@]}" | status)"
check "GET /status/ with the issued token" 200 "$(http GET /status/ "${bearer[@]}" | status)"
refreshed="$(http POST /token -d grant_type=refresh_token -d "refresh_token=$refresh")"
check "POST /token (refresh)" 200 "$(status <<<"$refreshed")"
new_refresh="$(field refresh_token <<<"$refreshed")"
check "the refresh token rotated" yes "$([[ -n "$new_refresh" && "$new_refresh" != "$refresh" ]] && echo yes || echo no)"
check "POST /revoke" 200 "$(http POST /revoke -d "token=$new_refresh" | status)"
check "the revoked refresh token is refused" "400 invalid_grant" \
  "$(http POST /token -d grant_type=refresh_token -d "refresh_token=$new_refresh" | { read -r s rest; echo "$s $(echo "x $rest" | field error)"; })"
kid="$(python3 -c 'import base64, json, sys; h = sys.argv[1].split(".")[0]; print(json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))["kid"])' "$access" 2>/dev/null || echo none)"
check "GET /.well-known/jwks.json publishes the token's key" yes \
  "$(http GET /.well-known/jwks.json | python3 -c 'import json, sys; kid = sys.argv[1]; s, b = sys.stdin.read().split(" ", 1); print("yes" if s == "200" and any(k["kid"] == kid for k in json.loads(b)["keys"]) else "no")' "$kid" 2>/dev/null || echo error)"
check "GET /.well-known/openid-configuration" http://127.0.0.1:9000 \
  "$(http GET /.well-known/openid-configuration | field issuer)"
check "GET /openapi.json" 200 "$(http GET /openapi.json | status)"
check "GET /docs" 200 "$(http GET /docs | status)"
stop_start_api

echo "sam local ($ARCH): $((checks - failures)) passed, $failures failed"
if ((failures)); then
  log "logs: target/sam-local/{invoke,start-api,sam-build-$ARCH}.log"
  tail -30 "$OUT/invoke.log" >&2
  exit 1
fi

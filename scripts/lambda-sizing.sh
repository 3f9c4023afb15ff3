#!/usr/bin/env bash
# What a sign-in costs at each Lambda memory size, by simulation: Lambda gives a function CPU in
# proportion to its memory (one full vCPU at 1,769 MB), enforced as a CPU quota. This runs the
# release `authctl serve` (in-memory users, in-process RSA key) inside a cgroup whose CPU quota
# is that share, sends sequential `POST /token` sign-ins (one at a time, as one Lambda
# environment serves them), and prints p50/p99 latency and the arm64 cost per million
# sign-ins for each size (scripts/lambda_sizing.py says how). Needs root (cgroup v1 `cpu` or
# cgroup v2 `cpu.max`).
#
#   scripts/lambda-sizing.sh                       # 512 1024 1769 3008 MB, 40 sign-ins each
#   SIZES="1024 1769" RUNS=100 scripts/lambda-sizing.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source "$ROOT/scripts/servers.sh"

SIZES="${SIZES:-512 1024 1769 3008}"
RUNS="${RUNS:-40}"
# The quota is enforced per period; Lambda does not publish its own. 20 ms keeps a sign-in
# (tens of ms) spread over several periods, so the share applies within one request.
PERIOD_US="${PERIOD_US:-20000}"
OUT="$ROOT/target/lambda-sizing"
mkdir -p "$OUT"

cargo build -q --locked --release -p authctl
AUTHCTL="$ROOT/target/release/authctl"

# The cgroup to run in: v2 (cpu.max) where the unified hierarchy has the cpu controller,
# else v1's cpu hierarchy.
if [[ -f /sys/fs/cgroup/cgroup.controllers ]] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers; then
  CGROUP=/sys/fs/cgroup/token-service-sizing
  set_quota() { echo "$1 $PERIOD_US" >"$CGROUP/cpu.max"; }
elif [[ -d /sys/fs/cgroup/cpu ]]; then
  CGROUP=/sys/fs/cgroup/cpu/token-service-sizing
  set_quota() { echo "$PERIOD_US" >"$CGROUP/cpu.cfs_period_us"; echo "$1" >"$CGROUP/cpu.cfs_quota_us"; }
else
  echo "lambda-sizing.sh: no cgroup cpu controller found" >&2
  exit 1
fi
mkdir -p "$CGROUP" 2>/dev/null || { echo "lambda-sizing.sh: cannot create $CGROUP (run as root)" >&2; exit 1; }

SERVE_PID=""
cleanup() {
  if [[ -n "$SERVE_PID" ]]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
  rmdir "$CGROUP" 2>/dev/null || true
}
trap cleanup EXIT

: >"$OUT/results.jsonl"
for mb in $SIZES; do
  # Lambda's share of a vCPU at this size (one at 1,769 MB).
  quota="$(python3 -c "print(round($mb / 1769 * $PERIOD_US))")"
  set_quota "$quota"
  port="$(free_port)"
  # The server joins the cgroup before it starts: every thread it makes is inside.
  RUST_LOG=warn sh -c 'echo $$ >"$1/cgroup.procs"; shift; exec "$@"' sh "$CGROUP" \
    "$AUTHCTL" serve --port "$port" >"$OUT/serve-$mb.log" 2>&1 &
  SERVE_PID=$!
  wait_until_answering "lambda-sizing.sh: authctl serve ($mb MB)" "$SERVE_PID" "$OUT/serve-$mb.log" 60 \
    curl -fs --max-time 5 -o /dev/null "http://127.0.0.1:$port/.well-known/openid-configuration"
  python3 "$ROOT/scripts/lambda_sizing.py" "http://127.0.0.1:$port" "$mb" "$RUNS" >>"$OUT/results.jsonl"
  kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true; SERVE_PID=""
done
python3 "$ROOT/scripts/lambda_sizing.py" --table "$OUT/results.jsonl" "$PERIOD_US" | tee "$OUT/table.txt"
